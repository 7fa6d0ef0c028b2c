using System.Buffers.Binary;
using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Storage.Common;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using static Kernel.Tests.Infrastructure.SalesTotals;
using Totals = Kernel.Operators.KeyedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState, Kernel.Tests.Operators.Specs.SalesTotalRow, Kernel.Tests.Operators.Specs.SalesTotalSpec>;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// Incremental checkpoints of the unwindowed <see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}"/> (<see cref="SalesTotalSpec"/>):
/// the state restored from checkpoint N equals a GROUP BY of the events before barrier N (computed here
/// with a dictionary), the restored operator goes on to the same rows as the uninterrupted input, and a
/// checkpoint writes exactly the keys updated since the previous one.
/// </summary>
public sealed class KeyedIncrementalCheckpointTests : IDisposable
{
    private readonly TempDirectory _dir = new("keyed-incremental");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1, false)]   // dense product ids: the table stays in direct mode
    [InlineData(2, true)]    // sparse ids: hashed
    [InlineData(3, true)]
    public async Task EveryCheckpoint_RestoresTheGroupByAtItsBarrier_WritesOnlyTheKeysUpdated_AndTheRestGoesOnIdentically(int seed, bool sparse)
    {
        var what = $"seed {seed} (sparse {sparse})";
        var events = Events(new Random(seed), 20_000, sparse);
        var (participant, op, store, coordinator) = CheckpointRig<Totals>.Open(Path.Combine(_dir.Path, $"live-{seed}"), new CheckpointStore(Path.Combine(_dir.Path, $"data-{seed}")),
            NewOperator, new CheckpointCoordinatorOptions { KeepLast = 100 });
        Assert.True(participant.IsIncremental, what);

        var rng = new Random(seed * 31);
        var at = 0;
        var checks = 0;
        var touched = new HashSet<long>();
        while (at < events.Length)
        {
            var n = Math.Min(rng.Next(1, 1_500), events.Length - at);
            op.Apply(events.AsSpan(at, n));
            foreach (var e in events.AsSpan(at, n)) touched.Add(e.ProductId);
            at += n;
            var result = await CheckpointAsync(coordinator, participant);
            // The first capture is full (every key so far); every later one writes the keys updated since.
            Assert.True(touched.Count == result.Stats.KeysWritten, $"{what}, checkpoint {result.CheckpointId}: {result.Stats.KeysWritten} keys written, {touched.Count} were updated");
            touched.Clear();
            if (rng.Next(3) != 0 && at < events.Length) continue;

            checks++;
            var (again, restored) = CheckpointRig<Totals>.Bound(Path.Combine(_dir.Path, $"live-{seed}-{result.CheckpointId}"), NewOperator);
            await RestoreAsync(again, store, result.CheckpointId);
            Assert.True(GroupBy(events.AsSpan(0, at)).SequenceEqual(Rows(restored)), $"{what}, checkpoint {result.CheckpointId}: the restored state differs from the GROUP BY of the events before its barrier");
            Assert.Equal(at, restored.EventsSeen);
            if (checks % 2 == 1)
            {
                // The rest of the input through the restored operator: the GROUP BY of the whole input.
                restored.Apply(events.AsSpan(at));
                Assert.True(GroupBy(events).SequenceEqual(Rows(restored)), $"{what}, checkpoint {result.CheckpointId}: rows after the restore differ from the uninterrupted input's");
                Assert.Equal(events.Length, restored.EventsSeen);
            }
            again.CloseStore();
        }
        participant.CloseStore();
        Assert.True(checks >= 3, $"{what}: only {checks} restores checked");
    }

    [Fact]
    public async Task AfterARestore_TheNextCheckpointIsADelta_AndAfterAnAbort_AFullOneThatRestores()
    {
        var (participant, op, store, coordinator) = Open("live");
        var fill = new Order[5_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i * 7, 0, 10 + i);
        op.Apply(fill);
        var first = await CheckpointAsync(coordinator, participant);
        Assert.Equal(5_000, first.Stats.KeysWritten);
        participant.CloseStore();

        var (again, restored, _, next) = Open("live-2", store);
        await RestoreAsync(again, store, first.CheckpointId);
        restored.Apply([Order.Of(7, 0), Order.Of(14, 0), Order.Of(7, 0), Order.Of(123_456, 0)]);
        var delta = await CheckpointAsync(next, again);
        Assert.Equal(3, delta.Stats.KeysWritten);
        Assert.True(delta.Stats.BytesWritten < first.Stats.BytesWritten / 10, $"{delta.Stats.BytesWritten} vs {first.Stats.BytesWritten} bytes");

        // A barrier whose checkpoint aborts: the store may lack its changes, so the next capture is full.
        restored.Apply([Order.Of(21, 0, 5)]);
        var lost = next.ReserveCheckpointId();
        again.OnBarrier(lost, 0);
        await again.AbortAsync(lost, CancellationToken.None);
        restored.Apply([Order.Of(28, 0, 5)]);
        var full = await CheckpointAsync(next, again);
        Assert.Equal(5_001, full.Stats.KeysWritten);
        var expected = Rows(restored);
        again.CloseStore();

        var (third, last, _, _) = Open("live-3", store);
        await RestoreAsync(third, store, full.CheckpointId);
        Assert.Equal(expected, Rows(last));
        third.CloseStore();
    }

    [Fact]
    public async Task FullCheckpointsAndSavepoints_CarryTheSameState()
    {
        var events = Events(new Random(5), 6_000, sparse: true);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        // A participant without incremental mode writes the operator's full snapshot ("KKAG").
        var (old, op, coordinator) = CheckpointRig<Totals>.Open(null, store, NewOperator);
        op.Apply(events.AsSpan(0, 3_000));
        var fullId = (await CheckpointAsync(coordinator, old)).CheckpointId;
        Assert.True(File.Exists(Path.Combine(store.GetCheckpointDirectory(fullId), "sales.state")));

        // An incremental participant restores it and goes on; its first capture is full.
        var (participant, restored, _, next) = Open("live", store);
        await RestoreAsync(participant, store, fullId);
        Assert.Equal(GroupBy(events.AsSpan(0, 3_000)), Rows(restored));
        restored.Apply(events.AsSpan(3_000));
        var incremental = await CheckpointAsync(next, participant);
        Assert.Equal(restored.Count, incremental.Stats.KeysWritten);
        Assert.True(File.Exists(Path.Combine(store.GetCheckpointDirectory(incremental.CheckpointId), "sales.meta")));
        participant.CloseStore();

        // Its savepoint holds the full format, rebuilt from the metadata and the LSM checkpoint.
        var (fresh, fromSavepoint) = CheckpointRig<Totals>.Bound(null, NewOperator);
        await SavepointRoundTripAsync(store, incremental.CheckpointId, participant, Path.Combine(_dir.Path, "sp"), fresh);
        Assert.Equal(GroupBy(events), Rows(fromSavepoint));
        Assert.Equal(events.Length, fromSavepoint.EventsSeen);

        // And a participant not in incremental mode restores the incremental checkpoint the same way.
        var (plain, viaCopy) = CheckpointRig<Totals>.Bound(null, NewOperator);
        await RestoreAsync(plain, store, incremental.CheckpointId);
        Assert.Equal(GroupBy(events), Rows(viaCopy));
    }

    [Fact]
    public async Task SteadyBarriers_AllocateNothingOnTheOperatorThread()
    {
        var (participant, op, _, coordinator) = Open("live");
        var fill = new Order[4_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i * 3, 0);
        op.Apply(fill);
        var updates = new Order[500];
        var rng = new Random(13);
        var bytes = await SteadyBarrierBytesAsync(coordinator, participant, () =>
        {
            // 500 keys are updated between barriers.
            for (var i = 0; i < updates.Length; i++) updates[i] = Order.Of(rng.Next(fill.Length) * 3, 0);
            op.Apply(updates);
        });
        Assert.Equal(0, bytes);
        participant.CloseStore();
    }

    public static TheoryData<string, int, string> Corruptions() => new()
    {
        { "magic", 0, "offset 0: magic is not \"KKAI\"" },
        { "crc", 20, "CRC-32C does not match" },
        { "fingerprint", 8, "offset 8: state fingerprint" },
        { "key size", 32, "offset 32: key size 9" },
        { "count", 40, "the metadata at offset 40 lists" },
        { "truncated", 0, "offset 0: 30 bytes is shorter" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task DamagedMetadata_IsRejected_NamingTheFileAndTheOffset(string damage, int offset, string message)
    {
        var (participant, op, store, coordinator) = Open("live");
        op.Apply(Events(new Random(6), 2_000, sparse: false));
        var result = await CheckpointAsync(coordinator, participant);
        participant.CloseStore();
        var metaPath = Path.Combine(store.GetCheckpointDirectory(result.CheckpointId), "sales.meta");
        var meta = File.ReadAllBytes(metaPath);
        switch (damage)
        {
            case "magic":
                meta[0] ^= 0x20;
                Reseal(meta);
                break;
            case "crc":
                meta[offset] ^= 1;   // the content changes, the CRC stays
                break;
            case "fingerprint":
                meta[offset] ^= 1;
                Reseal(meta);
                break;
            case "key size":
                BinaryPrimitives.WriteInt32LittleEndian(meta.AsSpan(offset), 9);
                Reseal(meta);
                break;
            case "count":
                BinaryPrimitives.WriteInt32LittleEndian(meta.AsSpan(offset), BinaryPrimitives.ReadInt32LittleEndian(meta.AsSpan(offset)) + 1);
                Reseal(meta);
                break;
            case "truncated":
                meta = meta[..30];
                break;
        }
        File.WriteAllBytes(metaPath, meta);

        var (again, _, _, _) = Open("live-2", store);
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await RestoreAsync(again, store, result.CheckpointId));
        Assert.Contains(metaPath, e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        again.CloseStore();
    }

    /// <summary>Recomputes the CRC-32C at the end of a metadata file, so that a damage inside is seen by the checks after it.</summary>
    private static void Reseal(byte[] meta) =>
        BinaryPrimitives.WriteUInt32LittleEndian(meta.AsSpan(meta.Length - 4), Crc32C.Compute(meta.AsSpan(0, meta.Length - 4)));

    private CheckpointRig<Totals> Open(string live, CheckpointStore? store = null) =>
        CheckpointRig<Totals>.Open(Path.Combine(_dir.Path, live), store ?? new CheckpointStore(Path.Combine(_dir.Path, "data")), NewOperator,
            new CheckpointCoordinatorOptions { KeepLast = 10 });

    private static Totals NewOperator(OperatorParticipant participant) => new(16, participant);
}
