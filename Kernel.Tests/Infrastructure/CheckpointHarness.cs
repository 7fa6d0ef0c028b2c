using System.Buffers;
using System.Buffers.Binary;
using Kernel.Checkpoints;
using Kernel.Operators;

namespace Kernel.Tests.Infrastructure;

/// <summary>
/// The steps the checkpoint, spill and pipeline tests share when they drive checkpoints by hand: take
/// one (the barrier handed to the participant as the ring would), restore one into a fresh participant,
/// round-trip a savepoint, and read an operator's full snapshot as comparable lines — decoded here from
/// the documented layout, independently of the operator's own reader.
/// </summary>
internal static class CheckpointHarness
{
    /// <summary>
    /// Reserves an id, hands its barrier to <paramref name="participant"/> at sequence 0, runs the
    /// coordinator, and asserts that the checkpoint completed.
    /// </summary>
    public static async Task<CheckpointResult> CheckpointAsync(CheckpointCoordinator coordinator, OperatorParticipant participant)
    {
        var id = coordinator.ReserveCheckpointId();
        participant.OnBarrier(id, 0);
        var result = await coordinator.OnBarrierInjectedAsync(id, 0, CancellationToken.None);
        Assert.True(result.Outcome == CheckpointOutcome.Completed, $"checkpoint {id}: {result.Failure}");
        return result;
    }

    /// <summary>Restores checkpoint <paramref name="checkpointId"/> of <paramref name="store"/> (its manifest read from disk) into <paramref name="participant"/>.</summary>
    public static ValueTask RestoreAsync(OperatorParticipant participant, CheckpointStore store, long checkpointId) =>
        participant.RestoreAsync(new CheckpointRestoreContext(store.ReadManifest(checkpointId), store.GetCheckpointDirectory(checkpointId)), CancellationToken.None);

    /// <summary>
    /// Writes a savepoint of checkpoint <paramref name="checkpointId"/> (always the full format: an
    /// incremental checkpoint is joined from its metadata and LSM copy) to <paramref name="directory"/>,
    /// and restores it into <paramref name="fresh"/>, a bound participant without a store.
    /// </summary>
    public static async Task SavepointRoundTripAsync(CheckpointStore store, long checkpointId, OperatorParticipant participant, string directory, OperatorParticipant fresh)
    {
        Savepoint.Write(store, checkpointId, [participant], directory);
        await fresh.RestoreFromSavepointAsync(Savepoint.Read(directory), directory, CancellationToken.None);
    }

    /// <summary>
    /// Bytes allocated by <paramref name="participant"/>'s barrier (the capture on the operator's thread)
    /// in the steady state (<see cref="Allocations.SteadyState(Action, Action, int)"/>). Before each
    /// barrier the previous checkpoint completes (its capture goes back to the participant) and
    /// <paramref name="update"/> changes some state; four warm-up barriers come first (the first capture
    /// is full, the next ones grow the buffers to the dirty set). The last checkpoint completes after.
    /// </summary>
    public static async Task<long> SteadyBarrierBytesAsync(CheckpointCoordinator coordinator, OperatorParticipant participant, Action update)
    {
        long pending = -1;
        void Prepare()
        {
            if (pending >= 0)
            {
                var result = coordinator.OnBarrierInjectedAsync(pending, 0, CancellationToken.None).GetAwaiter().GetResult();
                Assert.True(result.Outcome == CheckpointOutcome.Completed, $"checkpoint {pending}: {result.Failure}");
            }
            update();
            pending = coordinator.ReserveCheckpointId();
        }
        for (var i = 0; i < 4; i++)
        {
            Prepare();
            participant.OnBarrier(pending, 0);
        }
        var bytes = Allocations.SteadyState(Prepare, () => participant.OnBarrier(pending, 0));
        await coordinator.OnBarrierInjectedAsync(pending, 0, CancellationToken.None);
        return bytes;
    }

    /// <summary>The operator's full snapshot (what a checkpoint without incremental mode writes).</summary>
    public static byte[] FullSnapshot(ISnapshotOperator op)
    {
        var buffer = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A windowed operator's snapshot (v3) as comparable lines: the 80-byte header (counters, watermarks),
    /// the sources, then per window (panes, fired windows, revision buckets, in order) its entries sorted
    /// by bytes — entry order in a table is not part of the state. Asserts the layout adds up to the
    /// length before the trailing CRC.
    /// </summary>
    public static List<string> WindowedSnapshotLines(byte[] s, int keySize = 8)
    {
        var lines = new List<string>();
        var sources = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(56));
        var buckets = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(60)) + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(64))
            + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(76));   // v3: panes, fired windows, revision buckets
        var stateSize = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(72));
        lines.Add(Convert.ToHexString(s.AsSpan(0, 80)));
        var at = 80;
        lines.Add(Convert.ToHexString(s.AsSpan(at, sources * 16)));
        at += sources * 16;
        var entrySize = keySize + stateSize + 5;
        for (var b = 0; b < buckets; b++)
        {
            var count = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(at + 16));
            lines.Add($"window {BinaryPrimitives.ReadInt64LittleEndian(s.AsSpan(at))}..{BinaryPrimitives.ReadInt64LittleEndian(s.AsSpan(at + 8))}: {count}");
            at += 20;
            var entries = new List<string>();
            for (var i = 0; i < count; i++) entries.Add(Convert.ToHexString(s.AsSpan(at + i * entrySize, entrySize)));
            entries.Sort(StringComparer.Ordinal);
            lines.AddRange(entries);
            at += count * entrySize;
        }
        Assert.Equal(s.Length - 4, at);
        return lines;
    }
}

/// <summary>
/// An operator wired for checkpoints by hand: its participant (with a live LSM store when incremental),
/// the checkpoint store, and a coordinator with the participant registered (unless asked not to, for
/// a participant that only restores).
/// </summary>
/// <typeparam name="TOperator">The operator type.</typeparam>
internal sealed record CheckpointRig<TOperator>(OperatorParticipant Participant, TOperator Operator, CheckpointStore Store, CheckpointCoordinator Coordinator)
    where TOperator : ISnapshotOperator
{
    /// <summary>
    /// A participant named <paramref name="name"/>, incremental into <paramref name="liveDirectory"/>
    /// (null: full snapshots), bound to the operator <paramref name="create"/> makes for it.
    /// </summary>
    public static (OperatorParticipant Participant, TOperator Operator) Bound(string? liveDirectory, Func<OperatorParticipant, TOperator> create, string name = "sales")
    {
        var participant = new OperatorParticipant(name);
        if (liveDirectory is not null) participant.EnableIncremental(liveDirectory);
        var op = create(participant);
        participant.Bind(op);
        return (participant, op);
    }

    /// <summary>A bound participant (see <see cref="Bound"/>) with a coordinator over <paramref name="store"/>.</summary>
    public static CheckpointRig<TOperator> Open(string? liveDirectory, CheckpointStore store, Func<OperatorParticipant, TOperator> create,
        CheckpointCoordinatorOptions? options = null, bool register = true, string name = "sales")
    {
        var (participant, op) = Bound(liveDirectory, create, name);
        var coordinator = new CheckpointCoordinator(store, options);
        if (register) coordinator.Register(participant);
        return new CheckpointRig<TOperator>(participant, op, store, coordinator);
    }

    public void Deconstruct(out OperatorParticipant participant, out TOperator op, out CheckpointCoordinator coordinator)
    {
        participant = Participant;
        op = Operator;
        coordinator = Coordinator;
    }
}
