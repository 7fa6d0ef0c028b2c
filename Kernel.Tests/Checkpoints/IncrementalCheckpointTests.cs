using System.Buffers.Binary;
using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using Sales = Kernel.Operators.WindowedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState,
    Kernel.Tests.Operators.Specs.SalesWindowRow, Kernel.Tests.Operators.Specs.SalesWindowSpec>;

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
        var (participant, op, store, coordinator) = Open($"live-{seed}", new CheckpointStore(Path.Combine(_dir.Path, $"data-{seed}")), kind, emit, clock, rows,
            new CheckpointCoordinatorOptions { KeepLast = 100 });
        Assert.True(participant.IsIncremental);

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
            var id = (await CheckpointAsync(coordinator, participant)).CheckpointId;
            if (rng.Next(3) != 0 && at < events.Length) continue;

            // A new process restores checkpoint id and goes on: the state, then every later row, must match.
            checks++;
            var restoredRows = new RowLog();
            var (again, restored) = Bound($"live-{seed}-{id}", kind, emit, restoredRows);
            await RestoreAsync(again, store, id);
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
        var (participant, op, coordinator) = Open("live", DataStore());
        var fill = new Order[5_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i, 10_000 + i % 50);
        op.Apply(fill);
        var first = await CheckpointAsync(coordinator, participant);
        Assert.Equal(5_000, first.Stats.KeysWritten);   // the first capture is full
        op.Apply([Order.Of(7, 10_060), Order.Of(8, 10_061), Order.Of(7, 10_062), Order.Of(123_456, 10_063)]);
        var second = await CheckpointAsync(coordinator, participant);
        Assert.Equal(3, second.Stats.KeysWritten);
        Assert.True(second.Stats.BytesWritten < first.Stats.BytesWritten / 10, $"{second.Stats.BytesWritten} vs {first.Stats.BytesWritten} bytes");
        Assert.Equal("sales.lsm", second.Manifest!.LsmCheckpoint);
        participant.CloseStore();
    }

    /// <summary>
    /// Keys a checkpoint left clean in a primed (reused) window table, written again by a batch large enough for
    /// the windowed loop's scanned claims (its adds counted by passes over the primed control bytes, and no test
    /// of a claimed slot's control byte while none is clean): each is listed changed, so the next capture writes
    /// exactly them. A claim that skipped the clean test here would mark them dirty unlisted, and the capture
    /// would write none.
    /// </summary>
    [Fact]
    public async Task CleanKeysOfAPrimedTable_WrittenByALargeBatch_AreCaptured()
    {
        var (participant, op, coordinator) = Open("live", DataStore());
        var keys = new Order[1_000];
        for (var i = 0; i < keys.Length; i++) keys[i] = Order.Of(i, 10_000 + i % 50);
        op.Apply(keys);                           // window [10000, 10100): its table grows (not primed)
        op.Apply([Order.Of(1, 10_400)]);          // releases it (end − 1 + lateness 150 ≤ W): primed for 1,000 keys, pooled
        for (var i = 0; i < keys.Length; i++) keys[i] = Order.Of(i, 10_500 + i % 50);
        op.Apply(keys);                           // window [10500, 10600) reuses it: every key a primed claim
        await CheckpointAsync(coordinator, participant);
        var again = new Order[2_000];
        for (var i = 0; i < again.Length; i++) again[i] = Order.Of(7 + i % 3, 10_550 + i % 10);
        op.Apply(again);                          // keys 7, 8 and 9, clean since the checkpoint
        var second = await CheckpointAsync(coordinator, participant);
        Assert.Equal(3, second.Stats.KeysWritten);
        participant.CloseStore();
    }

    [Fact]
    public async Task SteadyCheckpoints_AllocateAboutTheirBatch_NotAWholeMemtable()
    {
        // Each checkpoint's batch gets a memtable of its own size: a 16 MiB default arena (plus its
        // key list and hash) per checkpoint was 21 MiB of fresh large-object memory every time.
        var (participant, op, coordinator) = Open("live", DataStore(), options: new CheckpointCoordinatorOptions { KeepLast = 2 });
        var fill = new Order[20_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i, 10_000 + i % 50);
        op.Apply(fill);
        var first = await CheckpointAsync(coordinator, participant);
        Assert.Equal(20_000, first.Stats.KeysWritten);
        var rng = new Random(5);
        var updates = new Order[2_000];
        for (var c = 0; c < 6; c++)
        {
            for (var i = 0; i < updates.Length; i++) updates[i] = Order.Of(rng.Next(fill.Length), 10_000 + rng.Next(50));
            op.Apply(updates);
            var result = await CheckpointAsync(coordinator, participant);
            Assert.InRange(result.Stats.KeysWritten, 1_500, 2_000);
            // ~2k keys of ~100 bytes: the batch, its encoding and a table's blocks, well under one default memtable.
            Assert.True(participant.LastWriteAllocatedBytes < 4L << 20, $"checkpoint {result.CheckpointId} allocated {participant.LastWriteAllocatedBytes:N0} bytes writing {result.Stats.KeysWritten} keys");
        }
        // And every one of them restores.
        var (again, restored) = Bound("restored", "tumbling", EmitMode.Final, new RowLog());
        await RestoreAsync(again, DataStore(), coordinator.LastCompletedCheckpointId);
        Assert.True(Decode(FullSnapshot(op)).SequenceEqual(Decode(FullSnapshot(restored))));
        participant.CloseStore();
        again.CloseStore();
    }

    [Fact]
    public async Task AbortedCapture_MakesTheNextCheckpointFull_AndRestorable()
    {
        var (participant, op, store, coordinator) = Open("live", DataStore());
        var events = Events(new Random(8), 3_000);
        op.Apply(events.AsSpan(0, 1_000));
        await CheckpointAsync(coordinator, participant);
        op.Apply(events.AsSpan(1_000, 1_000));
        // Barrier 2 reaches the operator, then the checkpoint aborts before its changes are written.
        var lost = coordinator.ReserveCheckpointId();
        participant.OnBarrier(lost, 0);
        await participant.AbortAsync(lost, CancellationToken.None);
        op.Apply(events.AsSpan(2_000, 500));
        var expected = Decode(FullSnapshot(op));
        var result = await CheckpointAsync(coordinator, participant);
        Assert.Equal(op.StateEntries, result.Stats.KeysWritten);   // full: the store may lack barrier 2's changes
        participant.CloseStore();

        Assert.Equal(expected, await RestoredState(store, result.CheckpointId, "live"));
    }

    [Fact]
    public async Task Restore_ReplacesALiveStoreThatHoldsNewerChanges()
    {
        var (participant, op, store, coordinator) = Open("live", DataStore());
        var events = Events(new Random(9), 3_000);
        op.Apply(events.AsSpan(0, 1_500));
        var expected = Decode(FullSnapshot(op));
        var complete = (await CheckpointAsync(coordinator, participant)).CheckpointId;
        // Checkpoint 2's changes reach the live store (as in a crash at mid-lsm-flush), but no manifest follows.
        op.Apply(events.AsSpan(1_500));
        var torn = coordinator.ReserveCheckpointId();
        participant.OnBarrier(torn, 0);
        var directory = store.CreateCheckpointDirectory(torn);
        await participant.SnapshotAsync(new CheckpointContext(torn, 0, directory), CancellationToken.None);
        participant.CloseStore();

        Assert.Equal(expected, await RestoredState(store, complete, "live"));
    }

    [Fact]
    public async Task OldFullCheckpoint_Restores_AndSavepointsOfIncrementalOnesAreFull()
    {
        var events = Events(new Random(10), 2_000);
        // A full checkpoint (a participant without incremental mode, as before).
        var store = DataStore();
        var (old, op, coordinator) = Open(null, store);
        op.Apply(events.AsSpan(0, 1_000));
        var fullId = (await CheckpointAsync(coordinator, old)).CheckpointId;
        Assert.True(File.Exists(Path.Combine(store.GetCheckpointDirectory(fullId), "sales.state")));

        // An incremental participant restores it, goes on, and checkpoints incrementally from there.
        var (participant, restored, next) = Open("live", store);
        await RestoreAsync(participant, store, fullId);
        restored.Apply(events.AsSpan(1_000));
        var expected = Decode(FullSnapshot(restored));
        var incrementalId = (await CheckpointAsync(next, participant)).CheckpointId;
        Assert.True(File.Exists(Path.Combine(store.GetCheckpointDirectory(incrementalId), "sales.meta")));
        participant.CloseStore();

        // Its savepoint holds the full format, which a participant without any store restores.
        Assert.Equal(expected, Decode(await FromSavepoint(store, incrementalId, participant, "tumbling", EmitMode.Final, "sp")));
    }

    [Fact]
    public async Task BarrierWhileThePreviousCheckpointIsBeingWritten_EachCheckpointRestoresItsOwnBarrier()
    {
        var (participant, op, store, coordinator) = Open("live", DataStore(), options: new CheckpointCoordinatorOptions { KeepLast = 10 });
        var fill = new Order[5_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i, 10_000 + i % 50);
        op.Apply(fill);
        await CheckpointAsync(coordinator, participant);

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
            Assert.True(expected.SequenceEqual(await RestoredState(store, id, $"live-{id}")), $"checkpoint {id}: the restored state differs from the state at its barrier");
    }

    [Fact]
    public async Task CrashBetweenCaptureAndWrite_RestoresThePreviousCheckpoint_AndGoesOn()
    {
        var (participant, op, store, coordinator) = Open("live", DataStore());
        var events = Events(new Random(12), 4_000);
        op.Apply(events.AsSpan(0, 1_500));
        await CheckpointAsync(coordinator, participant);
        op.Apply(events.AsSpan(1_500, 1_000));
        var expected = Decode(FullSnapshot(op));
        var complete = (await CheckpointAsync(coordinator, participant)).CheckpointId;
        // The next barrier is captured (the operator's tables are marked clean), then the process dies
        // before anything reaches the store: the changes exist only in the lost capture.
        op.Apply(events.AsSpan(2_500, 1_000));
        participant.OnBarrier(coordinator.ReserveCheckpointId(), 0);
        participant.CloseStore();

        var (again, restored, recovered) = Open("live", store);
        var load = await recovered.RecoverAsync(CancellationToken.None);
        Assert.Equal(complete, load.Manifest?.CheckpointId);
        Assert.Equal(expected, Decode(FullSnapshot(restored)));

        // The journal would replay what followed; here the same events go through the restored operator.
        restored.Apply(events.AsSpan(2_500));
        var expectedNext = Decode(FullSnapshot(restored));
        var next = await CheckpointAsync(recovered, again);
        again.CloseStore();
        Assert.Equal(expectedNext, await RestoredState(store, next.CheckpointId, "live-3"));
    }

    [Fact]
    public async Task SteadyBarriers_AllocateNothingOnTheOperatorThread()
    {
        var (participant, op, coordinator) = Open("live", DataStore(), options: new CheckpointCoordinatorOptions { KeepLast = 2 });
        var fill = new Order[4_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i, 10_000 + i % 50);
        op.Apply(fill);
        var updates = new Order[500];
        var rng = new Random(13);
        var bytes = await SteadyBarrierBytesAsync(coordinator, participant, () =>
        {
            // 500 keys change between barriers.
            for (var i = 0; i < updates.Length; i++) updates[i] = Order.Of(rng.Next(fill.Length), 10_000 + rng.Next(50));
            op.Apply(updates);
        });
        Assert.Equal(0, bytes);
        // Each reservation prefaulted the capture the next barrier filled (IBarrierPreparation): at least one page.
        Assert.True(participant.LastPrefaultBytes >= 4096, $"the last reservation prefaulted {participant.LastPrefaultBytes} bytes");
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
        var (participant, op, store, coordinator) = Open("live", DataStore(), "sliding", EmitMode.Periodic, clock, options: new CheckpointCoordinatorOptions { KeepLast = 10 });
        for (var at = 0; at < 2_000; at += 250)
        {
            op.Apply(events.AsSpan(at, 250));
            clock.Advance(200);
            op.Tick();
        }
        var full = FullSnapshot(op);
        Assert.True(BinaryPrimitives.ReadInt32LittleEndian(full.AsSpan(76)) > 0, "no revision buckets at the checkpoint");
        var expected = Decode(full);
        var id = (await CheckpointAsync(coordinator, participant)).CheckpointId;
        participant.CloseStore();

        Assert.Equal(expected, await RestoredState(store, id, "live-again", "sliding", EmitMode.Periodic));
        Assert.Equal(expected, Decode(await FromSavepoint(store, id, participant, "sliding", EmitMode.Periodic, "sp")));

        // A tumbling checkpoint (no revision buckets) with its metadata rewritten as version 1.
        var tumblingStore = new CheckpointStore(Path.Combine(_dir.Path, "data-tumbling"));
        var (tumbling, top, tumblingCoordinator) = Open("live-tumbling", tumblingStore);
        top.Apply(events.AsSpan(0, 2_000));
        var expectedTumbling = Decode(FullSnapshot(top));
        var tid = (await CheckpointAsync(tumblingCoordinator, tumbling)).CheckpointId;
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
        Assert.Equal(expectedTumbling, await RestoredState(tumblingStore, tid, "live-old"));
        Assert.Equal(expectedTumbling, Decode(await FromSavepoint(tumblingStore, tid, tumbling, "tumbling", EmitMode.Final, "sp-v1")));

        // Version 3 metadata: from a later build.
        var v3 = v2.ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(v3.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(v3.AsSpan(v3.Length - 4), Kernel.Storage.Common.Crc32C.Compute(v3.AsSpan(0, v3.Length - 4)));
        File.WriteAllBytes(metaPath, v3);
        var (newer, _) = Bound("live-newer");
        var ex = await Assert.ThrowsAsync<InvalidDataException>(async () => await RestoreAsync(newer, tumblingStore, tid));
        Assert.Contains("version 3 is not supported", ex.Message, StringComparison.Ordinal);
        newer.CloseStore();
    }

    /// <summary>Writes a savepoint of checkpoint <paramref name="id"/> (the full format, joined from the incremental one) and restores it into a fresh operator.</summary>
    private async Task<byte[]> FromSavepoint(CheckpointStore store, long id, OperatorParticipant participant, string kind, EmitMode emit, string name)
    {
        var (fresh, op) = CheckpointRig<Sales>.Bound(null, p => NewOperator(new RowLog(), p, kind, emit, new ManualClock()));
        await SavepointRoundTripAsync(store, id, participant, Path.Combine(_dir.Path, name), fresh);
        return FullSnapshot(op);
    }

    /// <summary>The state of checkpoint <paramref name="id"/> as a new incremental participant (its live store in <paramref name="live"/>) restores it.</summary>
    private async Task<List<string>> RestoredState(CheckpointStore store, long id, string live, string kind = "tumbling", EmitMode emit = EmitMode.Final)
    {
        var (again, restored) = Bound(live, kind, emit);
        await RestoreAsync(again, store, id);
        var state = Decode(FullSnapshot(restored));
        again.CloseStore();
        return state;
    }

    private CheckpointStore DataStore() => new(Path.Combine(_dir.Path, "data"));

    /// <summary>An operator with its participant, incremental into <paramref name="live"/> (null: full snapshots), and a coordinator over <paramref name="store"/>.</summary>
    private CheckpointRig<Sales> Open(string? live, CheckpointStore store, string kind = "tumbling", EmitMode emit = EmitMode.Final, IClock? clock = null, RowLog? rows = null,
        CheckpointCoordinatorOptions? options = null) =>
        CheckpointRig<Sales>.Open(live is null ? null : Path.Combine(_dir.Path, live), store, p => NewOperator(rows ?? new RowLog(), p, kind, emit, clock ?? new ManualClock()), options);

    private (OperatorParticipant Participant, Sales Operator) Bound(string live, string kind = "tumbling", EmitMode emit = EmitMode.Final, RowLog? rows = null) =>
        CheckpointRig<Sales>.Bound(Path.Combine(_dir.Path, live), p => NewOperator(rows ?? new RowLog(), p, kind, emit, new ManualClock()));

    /// <summary>The operator's full snapshot as comparable lines (<see cref="CheckpointHarness.WindowedSnapshotLines"/>).</summary>
    private static List<string> Decode(byte[] snapshot) => WindowedSnapshotLines(snapshot);

    private static Sales NewOperator(RowLog rows, OperatorParticipant control, string kind, EmitMode emit, IClock clock) =>
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

    private sealed class RowLog : IRowSink<SalesWindowRow>
    {
        public List<string> Lines { get; } = [];

        public List<(long, long, bool)> Windows { get; } = [];

        public int Count => Lines.Count;

        public void OnRow(in SalesWindowRow row, in RowRevision revision)
        {
            Lines.Add($"{row} r{revision.Revision} final={revision.IsFinal}");
            if (Windows.Count == 0 || Windows[^1] != (row.Start, row.End, revision.IsFinal)) Windows.Add((row.Start, row.End, revision.IsFinal));
        }
    }
}
