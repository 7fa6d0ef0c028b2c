using System.Buffers;
using System.Buffers.Binary;
using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// Incremental checkpoints into the LSM store: whatever the window kind, emission and the mix of
/// out-of-order and late events, the state restored from checkpoint N equals the operator's full
/// snapshot taken at barrier N (compared entry by entry, decoded independently of the operator), and
/// the restored operator goes on to emit exactly the rows (with revisions) of an uninterrupted one.
/// </summary>
public sealed class IncrementalCheckpointTests : IDisposable
{
    private readonly TempDirectory _dir = new("incremental");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<int, string, EmitMode> Cases() => new()
    {
        { 1, "tumbling", EmitMode.Final },
        { 2, "tumbling", EmitMode.OnWindowClose },
        { 3, "tumbling", EmitMode.Periodic },
        { 4, "sliding", EmitMode.Final },
        { 5, "sliding", EmitMode.OnWindowClose },
        { 6, "tumbling", EmitMode.EveryUpdate },
        { 7, "sliding", EmitMode.EveryUpdate },
        { 12, "sliding", EmitMode.Periodic },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryCheckpoint_RestoresTheStateAtItsBarrier_AndTheRestGoesOnIdentically(int seed, string kind, EmitMode emit)
    {
        var events = Events(new Random(seed), 12_000);
        var clock = new ManualClock();
        var rows = new RowLog();
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(Path.Combine(_dir.Path, $"live-{seed}"));
        var op = NewOperator(rows, participant, kind, emit, clock);
        participant.Bind(op);
        Assert.True(participant.IsIncremental);
        var store = new CheckpointStore(Path.Combine(_dir.Path, $"data-{seed}"));
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 100 });
        coordinator.Register(participant);

        var rng = new Random(seed * 31);
        var at = 0;
        var checks = 0;
        while (at < events.Length)
        {
            var n = Math.Min(rng.Next(1, 900), events.Length - at);
            op.Apply(events.AsSpan(at, n));
            at += n;
            clock.Advance(rng.Next(0, 400));   // periodic emission runs on processing time
            op.Tick();
            var expected = Decode(FullSnapshot(op));
            var expectedRows = rows.Count;
            var id = await Checkpoint(coordinator, participant);
            if (rng.Next(3) != 0 && at < events.Length) continue;

            // A new process restores checkpoint id and goes on: the state, then every later row, must match.
            checks++;
            var restoredRows = new RowLog();
            var again = new OperatorParticipant("sales");
            again.EnableIncremental(Path.Combine(_dir.Path, $"live-{seed}-{id}"));
            var restored = NewOperator(restoredRows, again, kind, emit, new ManualClock());
            again.Bind(restored);
            await again.RestoreAsync(new CheckpointRestoreContext(store.ReadManifest(id), store.GetCheckpointDirectory(id)), CancellationToken.None);
            Assert.True(expected.SequenceEqual(Decode(FullSnapshot(restored))), $"seed {seed}, {kind}/{emit}, checkpoint {id}: the restored state differs from the state at the barrier");
            if (checks % 3 == 1)
            {
                // The rest of the input through both, as one batch each (processing time stands still).
                var tail = events.AsSpan(at);
                var referenceRows = new RowLog();
                var twin = NewOperator(referenceRows, new OperatorParticipant("y"), kind, emit, new ManualClock());
                twin.RestoreSnapshot(FullSnapshot(op));
                twin.Apply(tail);
                twin.EndOfInput();
                restored.Apply(tail);
                restored.EndOfInput();
                // Rows in the same windows in the same order, and the same rows (revisions included); the keys
                // of one window may come in another order (a restored table's slots are not the original's).
                Assert.True(referenceRows.Windows.SequenceEqual(restoredRows.Windows), $"seed {seed}, {kind}/{emit}, checkpoint {id}: windows emitted after the restore differ");
                Assert.True(referenceRows.Lines.Order(StringComparer.Ordinal).SequenceEqual(restoredRows.Lines.Order(StringComparer.Ordinal)),
                    $"seed {seed}, {kind}/{emit}, checkpoint {id}: rows after the restore differ ({restoredRows.Count} vs {referenceRows.Count})");
            }
            again.CloseStore();
            Assert.Equal(expectedRows, rows.Count);
        }
        participant.CloseStore();
        Assert.True(checks >= 3, $"seed {seed}: only {checks} restores checked");
    }

    [Fact]
    public async Task AFewDirtyKeys_WriteAFewKeys()
    {
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(Path.Combine(_dir.Path, "live"));
        var op = NewOperator(new RowLog(), participant, "tumbling", EmitMode.Final, new ManualClock());
        participant.Bind(op);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(participant);
        var fill = new Order[5_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i, 10_000 + i % 50);
        op.Apply(fill);
        var first = await CheckpointResult(coordinator, participant);
        Assert.Equal(5_000, first.Stats.KeysWritten);   // the first capture is full
        op.Apply([Order.Of(7, 10_060), Order.Of(8, 10_061), Order.Of(7, 10_062), Order.Of(123_456, 10_063)]);
        var second = await CheckpointResult(coordinator, participant);
        Assert.Equal(3, second.Stats.KeysWritten);
        Assert.True(second.Stats.BytesWritten < first.Stats.BytesWritten / 10, $"{second.Stats.BytesWritten} vs {first.Stats.BytesWritten} bytes");
        Assert.Equal("sales.lsm", second.Manifest!.LsmCheckpoint);
        participant.CloseStore();
    }

    [Fact]
    public async Task AbortedCapture_MakesTheNextCheckpointFull_AndRestorable()
    {
        var live = Path.Combine(_dir.Path, "live");
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(live);
        var op = NewOperator(new RowLog(), participant, "tumbling", EmitMode.Final, new ManualClock());
        participant.Bind(op);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(participant);
        var events = Events(new Random(8), 3_000);
        op.Apply(events.AsSpan(0, 1_000));
        await Checkpoint(coordinator, participant);
        op.Apply(events.AsSpan(1_000, 1_000));
        // Barrier 2 reaches the operator, then the checkpoint aborts before its changes are written.
        var lost = coordinator.ReserveCheckpointId();
        participant.OnBarrier(lost, 0);
        await participant.AbortAsync(lost, CancellationToken.None);
        op.Apply(events.AsSpan(2_000, 500));
        var expected = Decode(FullSnapshot(op));
        var result = await CheckpointResult(coordinator, participant);
        Assert.Equal(op.StateEntries, result.Stats.KeysWritten);   // full: the store may lack barrier 2's changes
        participant.CloseStore();

        var again = new OperatorParticipant("sales");
        again.EnableIncremental(live);
        var restored = NewOperator(new RowLog(), again, "tumbling", EmitMode.Final, new ManualClock());
        again.Bind(restored);
        await again.RestoreAsync(new CheckpointRestoreContext(result.Manifest!, store.GetCheckpointDirectory(result.CheckpointId)), CancellationToken.None);
        Assert.Equal(expected, Decode(FullSnapshot(restored)));
        again.CloseStore();
    }

    [Fact]
    public async Task Restore_ReplacesALiveStoreThatHoldsNewerChanges()
    {
        var live = Path.Combine(_dir.Path, "live");
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(live);
        var op = NewOperator(new RowLog(), participant, "tumbling", EmitMode.Final, new ManualClock());
        participant.Bind(op);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(participant);
        var events = Events(new Random(9), 3_000);
        op.Apply(events.AsSpan(0, 1_500));
        var expected = Decode(FullSnapshot(op));
        var complete = await Checkpoint(coordinator, participant);
        // Checkpoint 2's changes reach the live store (as in a crash at mid-lsm-flush), but no manifest follows.
        op.Apply(events.AsSpan(1_500));
        var torn = coordinator.ReserveCheckpointId();
        participant.OnBarrier(torn, 0);
        var directory = store.CreateCheckpointDirectory(torn);
        await participant.SnapshotAsync(new CheckpointContext(torn, 0, directory), CancellationToken.None);
        participant.CloseStore();

        var again = new OperatorParticipant("sales");
        again.EnableIncremental(live);
        var restored = NewOperator(new RowLog(), again, "tumbling", EmitMode.Final, new ManualClock());
        again.Bind(restored);
        await again.RestoreAsync(new CheckpointRestoreContext(store.ReadManifest(complete), store.GetCheckpointDirectory(complete)), CancellationToken.None);
        Assert.Equal(expected, Decode(FullSnapshot(restored)));
        again.CloseStore();
    }

    [Fact]
    public async Task OldFullCheckpoint_Restores_AndSavepointsOfIncrementalOnesAreFull()
    {
        var events = Events(new Random(10), 2_000);
        // A full checkpoint (a participant without incremental mode, as before).
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var old = new OperatorParticipant("sales");
        var op = NewOperator(new RowLog(), old, "tumbling", EmitMode.Final, new ManualClock());
        old.Bind(op);
        op.Apply(events.AsSpan(0, 1_000));
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(old);
        var fullId = await Checkpoint(coordinator, old);
        Assert.True(File.Exists(Path.Combine(store.GetCheckpointDirectory(fullId), "sales.state")));

        // An incremental participant restores it, goes on, and checkpoints incrementally from there.
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(Path.Combine(_dir.Path, "live"));
        var restored = NewOperator(new RowLog(), participant, "tumbling", EmitMode.Final, new ManualClock());
        participant.Bind(restored);
        await participant.RestoreAsync(new CheckpointRestoreContext(store.ReadManifest(fullId), store.GetCheckpointDirectory(fullId)), CancellationToken.None);
        restored.Apply(events.AsSpan(1_000));
        var expected = Decode(FullSnapshot(restored));
        var next = new CheckpointCoordinator(store);
        next.Register(participant);
        var incrementalId = await Checkpoint(next, participant);
        Assert.True(File.Exists(Path.Combine(store.GetCheckpointDirectory(incrementalId), "sales.meta")));
        participant.CloseStore();

        // Its savepoint holds the full format, which a participant without any store restores.
        var savepointDir = Path.Combine(_dir.Path, "sp");
        Savepoint.Write(store, incrementalId, [participant], savepointDir);
        var fresh = new OperatorParticipant("sales");
        var fromSavepoint = NewOperator(new RowLog(), fresh, "tumbling", EmitMode.Final, new ManualClock());
        fresh.Bind(fromSavepoint);
        await fresh.RestoreFromSavepointAsync(Savepoint.Read(savepointDir), savepointDir, CancellationToken.None);
        Assert.Equal(expected, Decode(FullSnapshot(fromSavepoint)));
    }

    [Fact]
    public async Task BarrierWhileThePreviousCheckpointIsBeingWritten_EachCheckpointRestoresItsOwnBarrier()
    {
        var live = Path.Combine(_dir.Path, "live");
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(live);
        var op = NewOperator(new RowLog(), participant, "tumbling", EmitMode.Final, new ManualClock());
        participant.Bind(op);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 10 });
        coordinator.Register(participant);
        var fill = new Order[5_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i, 10_000 + i % 50);
        op.Apply(fill);
        await Checkpoint(coordinator, participant);

        var rng = new Random(11);
        var updates = new Order[600];
        for (var i = 0; i < updates.Length; i++) updates[i] = Order.Of(rng.Next(8_000), 10_000 + rng.Next(50), rng.Next(1, 1_000), 1, i);
        op.Apply(updates);
        var expectedSecond = Decode(FullSnapshot(op));
        var second = coordinator.ReserveCheckpointId();
        participant.OnBarrier(second, 0);
        // The coordinator collects the capture before its first await, then writes it on another thread:
        // the operator goes on and reaches the next barrier while that write (store, fsyncs) runs.
        var writing = coordinator.OnBarrierInjectedAsync(second, 0, CancellationToken.None);
        op.Apply([Order.Of(7, 10_060), Order.Of(8, 10_061), Order.Of(7, 10_062), Order.Of(123_456, 10_063)]);
        var expectedThird = Decode(FullSnapshot(op));
        var third = coordinator.ReserveCheckpointId();
        participant.OnBarrier(third, 0);   // a second capture buffer: the first one is still being encoded or written
        op.Apply(updates.AsSpan(0, 100));  // changes after the third barrier belong to neither
        var secondResult = await writing;
        Assert.True(secondResult.Outcome == CheckpointOutcome.Completed, $"checkpoint {second}: {secondResult.Failure}");
        var thirdResult = await coordinator.OnBarrierInjectedAsync(third, 0, CancellationToken.None);
        Assert.True(thirdResult.Outcome == CheckpointOutcome.Completed, $"checkpoint {third}: {thirdResult.Failure}");
        Assert.Equal(3, thirdResult.Stats.KeysWritten);   // a delta on the second checkpoint, not a full capture
        participant.CloseStore();

        foreach (var (id, expected) in new[] { (second, expectedSecond), (third, expectedThird) })
        {
            var again = new OperatorParticipant("sales");
            again.EnableIncremental(Path.Combine(_dir.Path, $"live-{id}"));
            var restored = NewOperator(new RowLog(), again, "tumbling", EmitMode.Final, new ManualClock());
            again.Bind(restored);
            await again.RestoreAsync(new CheckpointRestoreContext(store.ReadManifest(id), store.GetCheckpointDirectory(id)), CancellationToken.None);
            Assert.True(expected.SequenceEqual(Decode(FullSnapshot(restored))), $"checkpoint {id}: the restored state differs from the state at its barrier");
            again.CloseStore();
        }
    }

    [Fact]
    public async Task CrashBetweenCaptureAndWrite_RestoresThePreviousCheckpoint_AndGoesOn()
    {
        var live = Path.Combine(_dir.Path, "live");
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(live);
        var op = NewOperator(new RowLog(), participant, "tumbling", EmitMode.Final, new ManualClock());
        participant.Bind(op);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(participant);
        var events = Events(new Random(12), 4_000);
        op.Apply(events.AsSpan(0, 1_500));
        await Checkpoint(coordinator, participant);
        op.Apply(events.AsSpan(1_500, 1_000));
        var expected = Decode(FullSnapshot(op));
        var complete = await Checkpoint(coordinator, participant);
        // The next barrier is captured (the operator's tables are marked clean), then the process dies
        // before anything reaches the store: the changes exist only in the lost capture.
        op.Apply(events.AsSpan(2_500, 1_000));
        participant.OnBarrier(coordinator.ReserveCheckpointId(), 0);
        participant.CloseStore();

        var again = new OperatorParticipant("sales");
        again.EnableIncremental(live);
        var restored = NewOperator(new RowLog(), again, "tumbling", EmitMode.Final, new ManualClock());
        again.Bind(restored);
        var recovered = new CheckpointCoordinator(store);
        recovered.Register(again);
        var load = await recovered.RecoverAsync(CancellationToken.None);
        Assert.Equal(complete, load.Manifest?.CheckpointId);
        Assert.Equal(expected, Decode(FullSnapshot(restored)));

        // The journal would replay what followed; here the same events go through the restored operator.
        restored.Apply(events.AsSpan(2_500));
        var expectedNext = Decode(FullSnapshot(restored));
        var next = await CheckpointResult(recovered, again);
        again.CloseStore();
        var third = new OperatorParticipant("sales");
        third.EnableIncremental(Path.Combine(_dir.Path, "live-3"));
        var last = NewOperator(new RowLog(), third, "tumbling", EmitMode.Final, new ManualClock());
        third.Bind(last);
        await third.RestoreAsync(new CheckpointRestoreContext(next.Manifest!, store.GetCheckpointDirectory(next.CheckpointId)), CancellationToken.None);
        Assert.Equal(expectedNext, Decode(FullSnapshot(last)));
        third.CloseStore();
    }

    [Fact]
    public async Task SteadyBarriers_AllocateNothingOnTheOperatorThread()
    {
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(Path.Combine(_dir.Path, "live"));
        var op = NewOperator(new RowLog(), participant, "tumbling", EmitMode.Final, new ManualClock());
        participant.Bind(op);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 2 });
        coordinator.Register(participant);
        var fill = new Order[4_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i, 10_000 + i % 50);
        op.Apply(fill);
        var updates = new Order[500];
        var rng = new Random(13);
        long pending = -1;
        void Prepare()
        {
            // Completes the previous checkpoint (its capture goes back to the participant), then changes 500 keys.
            if (pending >= 0)
            {
                var result = coordinator.OnBarrierInjectedAsync(pending, 0, CancellationToken.None).GetAwaiter().GetResult();
                Assert.True(result.Outcome == CheckpointOutcome.Completed, $"checkpoint {pending}: {result.Failure}");
            }
            for (var i = 0; i < updates.Length; i++) updates[i] = Order.Of(rng.Next(fill.Length), 10_000 + rng.Next(50));
            op.Apply(updates);
            pending = coordinator.ReserveCheckpointId();
        }
        // Warm-up: the first capture is full, the next ones grow the buffers to the dirty set.
        for (var i = 0; i < 4; i++)
        {
            Prepare();
            participant.OnBarrier(pending, 0);
        }
        var bytes = Allocations.SteadyState(Prepare, () => participant.OnBarrier(pending, 0));
        Assert.Equal(0, bytes);
        await coordinator.OnBarrierInjectedAsync(pending, 0, CancellationToken.None);
        participant.CloseStore();
    }

    /// <summary>
    /// Sliding Periodic keeps revision buckets (metadata v2, snapshot v3): they cross an incremental
    /// checkpoint both ways it is read back (straight into the tables; joined into a savepoint's full
    /// snapshot). Metadata version 1 (written before the buckets existed) still restores both ways, and
    /// a later version is refused with a message that says so.
    /// </summary>
    [Fact]
    public async Task SlidingPeriodicRevisionBuckets_RestoreBothWays_MetadataV1StillRestores_LaterVersionRefused()
    {
        var events = Events(new Random(13), 3_000);
        var clock = new ManualClock();
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(Path.Combine(_dir.Path, "live"));
        var op = NewOperator(new RowLog(), participant, "sliding", EmitMode.Periodic, clock);
        participant.Bind(op);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 10 });
        coordinator.Register(participant);
        for (var at = 0; at < 2_000; at += 250)
        {
            op.Apply(events.AsSpan(at, 250));
            clock.Advance(200);
            op.Tick();
        }
        var full = FullSnapshot(op);
        Assert.True(BinaryPrimitives.ReadInt32LittleEndian(full.AsSpan(76)) > 0, "no revision buckets at the checkpoint");
        var expected = Decode(full);
        var id = await Checkpoint(coordinator, participant);
        participant.CloseStore();

        var again = new OperatorParticipant("sales");
        again.EnableIncremental(Path.Combine(_dir.Path, "live-again"));
        var restored = NewOperator(new RowLog(), again, "sliding", EmitMode.Periodic, new ManualClock());
        again.Bind(restored);
        await again.RestoreAsync(new CheckpointRestoreContext(store.ReadManifest(id), store.GetCheckpointDirectory(id)), CancellationToken.None);
        Assert.Equal(expected, Decode(FullSnapshot(restored)));
        again.CloseStore();
        Assert.Equal(expected, Decode(await FromSavepoint(store, id, participant, "sliding", EmitMode.Periodic, "sp")));

        // A tumbling checkpoint (no revision buckets) with its metadata rewritten as version 1.
        var tumbling = new OperatorParticipant("sales");
        tumbling.EnableIncremental(Path.Combine(_dir.Path, "live-tumbling"));
        var top = NewOperator(new RowLog(), tumbling, "tumbling", EmitMode.Final, new ManualClock());
        tumbling.Bind(top);
        var tumblingStore = new CheckpointStore(Path.Combine(_dir.Path, "data-tumbling"));
        var tumblingCoordinator = new CheckpointCoordinator(tumblingStore);
        tumblingCoordinator.Register(tumbling);
        top.Apply(events.AsSpan(0, 2_000));
        var expectedTumbling = Decode(FullSnapshot(top));
        var tid = await Checkpoint(tumblingCoordinator, tumbling);
        tumbling.CloseStore();
        var metaPath = Path.Combine(tumblingStore.GetCheckpointDirectory(tid), "sales.meta");
        var v2 = File.ReadAllBytes(metaPath);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(v2.AsSpan(4)));
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(v2.AsSpan(76)));
        var v1 = new byte[v2.Length - 4];
        v2.AsSpan(0, 76).CopyTo(v1);
        v2.AsSpan(80, v2.Length - 84).CopyTo(v1.AsSpan(76));
        BinaryPrimitives.WriteUInt16LittleEndian(v1.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(v1.AsSpan(v1.Length - 4), Kernel.Storage.Common.Crc32C.Compute(v1.AsSpan(0, v1.Length - 4)));
        File.WriteAllBytes(metaPath, v1);
        var old = new OperatorParticipant("sales");
        old.EnableIncremental(Path.Combine(_dir.Path, "live-old"));
        var fromV1 = NewOperator(new RowLog(), old, "tumbling", EmitMode.Final, new ManualClock());
        old.Bind(fromV1);
        await old.RestoreAsync(new CheckpointRestoreContext(tumblingStore.ReadManifest(tid), tumblingStore.GetCheckpointDirectory(tid)), CancellationToken.None);
        Assert.Equal(expectedTumbling, Decode(FullSnapshot(fromV1)));
        old.CloseStore();
        Assert.Equal(expectedTumbling, Decode(await FromSavepoint(tumblingStore, tid, tumbling, "tumbling", EmitMode.Final, "sp-v1")));

        // Version 3 metadata: from a later build.
        var v3 = v2.ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(v3.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(v3.AsSpan(v3.Length - 4), Kernel.Storage.Common.Crc32C.Compute(v3.AsSpan(0, v3.Length - 4)));
        File.WriteAllBytes(metaPath, v3);
        var newer = new OperatorParticipant("sales");
        newer.EnableIncremental(Path.Combine(_dir.Path, "live-newer"));
        newer.Bind(NewOperator(new RowLog(), newer, "tumbling", EmitMode.Final, new ManualClock()));
        var ex = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await newer.RestoreAsync(new CheckpointRestoreContext(tumblingStore.ReadManifest(tid), tumblingStore.GetCheckpointDirectory(tid)), CancellationToken.None));
        Assert.Contains("version 3 is not supported", ex.Message, StringComparison.Ordinal);
        newer.CloseStore();
    }

    /// <summary>Writes a savepoint of checkpoint <paramref name="id"/> (the full format, joined from the incremental one) and restores it into a fresh operator.</summary>
    private async Task<byte[]> FromSavepoint(CheckpointStore store, long id, OperatorParticipant participant, string kind, EmitMode emit, string name)
    {
        var savepointDir = Path.Combine(_dir.Path, name);
        Savepoint.Write(store, id, [participant], savepointDir);
        var fresh = new OperatorParticipant("sales");
        var op = NewOperator(new RowLog(), fresh, kind, emit, new ManualClock());
        fresh.Bind(op);
        await fresh.RestoreFromSavepointAsync(Savepoint.Read(savepointDir), savepointDir, CancellationToken.None);
        return FullSnapshot(op);
    }

    private static async Task<long> Checkpoint(CheckpointCoordinator coordinator, OperatorParticipant participant) =>
        (await CheckpointResult(coordinator, participant)).CheckpointId;

    private static async Task<CheckpointResult> CheckpointResult(CheckpointCoordinator coordinator, OperatorParticipant participant)
    {
        var id = coordinator.ReserveCheckpointId();
        participant.OnBarrier(id, 0);
        var result = await coordinator.OnBarrierInjectedAsync(id, 0, CancellationToken.None);
        Assert.True(result.Outcome == CheckpointOutcome.Completed, $"checkpoint {id}: {result.Failure}");
        return result;
    }

    private static byte[] FullSnapshot(ISnapshotOperator op)
    {
        var buffer = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The operator snapshot (v3) as comparable lines: the header's counters and watermarks, then per
    /// window (panes, then fired windows, in order) its entries sorted by key — entry order in a table is
    /// not part of the state.
    /// </summary>
    private static List<string> Decode(byte[] s)
    {
        const int KeySize = 8;
        var lines = new List<string>();
        var sources = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(56));
        var buckets = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(60)) + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(64))
            + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(76));   // v3: panes, fired windows, revision buckets
        var stateSize = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(72));
        lines.Add(Convert.ToHexString(s.AsSpan(0, 80)));
        var at = 80;
        lines.Add(Convert.ToHexString(s.AsSpan(at, sources * 16)));
        at += sources * 16;
        var entrySize = KeySize + stateSize + 5;
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

    private static WindowedAggregator<Order, long, SalesState, SalesRow, SalesSpec> NewOperator(RowLog rows, OperatorParticipant control, string kind, EmitMode emit, IClock clock) =>
        new(rows, null, new WindowOptions
        {
            Window = kind == "sliding"
                ? new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 300, SlideMs = 100 }
                : new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 100, SlideMs = 100 },
            MaxOutOfOrdernessMs = 20, AllowedLatenessMs = 150, Emit = emit, EmitIntervalMs = 200, Clock = clock, Control = control, InitialCapacity = 8,
        });

    /// <summary>Mostly in order, some out of order within the bound, some late (inside and past the lateness).</summary>
    private static Order[] Events(Random rng, int n)
    {
        var events = new Order[n];
        long t = 1_000;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 3);
            var time = rng.Next(10) switch
            {
                0 => t - rng.Next(0, 30),
                1 => t - rng.Next(50, 400),
                _ => t,
            };
            events[i] = Order.Of(rng.Next(rng.Next(4) == 0 ? 2_000 : 40), time, rng.Next(1, 1_000), rng.Next(1, 5), i);
        }
        return events;
    }

    public readonly record struct SalesRow(long ProductId, long Start, long End, long Revenue, long Orders);

    private sealed class RowLog : IRowSink<SalesRow>
    {
        public List<string> Lines { get; } = [];

        public List<(long, long, bool)> Windows { get; } = [];

        public int Count => Lines.Count;

        public void OnRow(in SalesRow row, in RowRevision revision)
        {
            Lines.Add($"{row} r{revision.Revision} final={revision.IsFinal}");
            if (Windows.Count == 0 || Windows[^1] != (row.Start, row.End, revision.IsFinal)) Windows.Add((row.Start, row.End, revision.IsFinal));
        }
    }

    public struct SalesState
    {
        public long Revenue;
        public long Orders;
    }

    private struct SalesSpec : IAggregationSpec<Order, long, SalesState, SalesRow>
    {
        public static string Name => "Tests.IncrementalSales";
        public static ulong StateFingerprint => 0x1AC0_0000_0000_0001UL;
        public static WindowSpec Window => default;
        public static bool Filter(in Order e) => true;
        public static long KeyOf(in Order e) => e.ProductId;
        public static ulong HashKey(in long key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);
        public static long EventTime(in Order e) => e.TimestampMs;
        public static void Init(out SalesState state) => state = default;

        public static void Update(ref SalesState state, in Order e)
        {
            state.Revenue += e.RevenueCents;
            state.Orders++;
        }

        public static void Merge(ref SalesState into, in SalesState other)
        {
            into.Revenue += other.Revenue;
            into.Orders += other.Orders;
        }

        public static void ToRow(in long key, in SalesState state, long windowStartMs, long windowEndMs, out SalesRow row) =>
            row = new SalesRow(key, windowStartMs, windowEndMs, state.Revenue, state.Orders);
    }
}
