using System.Buffers.Binary;
using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Storage.Common;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// Incremental checkpoints of the unwindowed <see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}"/>:
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
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(Path.Combine(_dir.Path, $"live-{seed}"));
        var op = new KeyedAggregator<Order, long, SumState, SumRow, SumSpec>(16, participant);
        participant.Bind(op);
        Assert.True(participant.IsIncremental, what);
        var store = new CheckpointStore(Path.Combine(_dir.Path, $"data-{seed}"));
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 100 });
        coordinator.Register(participant);

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
            var result = await CheckpointResult(coordinator, participant);
            // The first capture is full (every key so far); every later one writes the keys updated since.
            Assert.True(touched.Count == result.Stats.KeysWritten, $"{what}, checkpoint {result.CheckpointId}: {result.Stats.KeysWritten} keys written, {touched.Count} were updated");
            touched.Clear();
            if (rng.Next(3) != 0 && at < events.Length) continue;

            checks++;
            var again = new OperatorParticipant("sales");
            again.EnableIncremental(Path.Combine(_dir.Path, $"live-{seed}-{result.CheckpointId}"));
            var restored = new KeyedAggregator<Order, long, SumState, SumRow, SumSpec>(16, again);
            again.Bind(restored);
            await again.RestoreAsync(new CheckpointRestoreContext(store.ReadManifest(result.CheckpointId), store.GetCheckpointDirectory(result.CheckpointId)), CancellationToken.None);
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
        var first = await CheckpointResult(coordinator, participant);
        Assert.Equal(5_000, first.Stats.KeysWritten);
        participant.CloseStore();

        var (again, restored, _, next) = Open("live-2", store);
        await again.RestoreAsync(new CheckpointRestoreContext(first.Manifest!, store.GetCheckpointDirectory(first.CheckpointId)), CancellationToken.None);
        restored.Apply([Order.Of(7, 0), Order.Of(14, 0), Order.Of(7, 0), Order.Of(123_456, 0)]);
        var delta = await CheckpointResult(next, again);
        Assert.Equal(3, delta.Stats.KeysWritten);
        Assert.True(delta.Stats.BytesWritten < first.Stats.BytesWritten / 10, $"{delta.Stats.BytesWritten} vs {first.Stats.BytesWritten} bytes");

        // A barrier whose checkpoint aborts: the store may lack its changes, so the next capture is full.
        restored.Apply([Order.Of(21, 0, 5)]);
        var lost = next.ReserveCheckpointId();
        again.OnBarrier(lost, 0);
        await again.AbortAsync(lost, CancellationToken.None);
        restored.Apply([Order.Of(28, 0, 5)]);
        var full = await CheckpointResult(next, again);
        Assert.Equal(5_001, full.Stats.KeysWritten);
        var expected = Rows(restored);
        again.CloseStore();

        var (third, last, _, _) = Open("live-3", store);
        await third.RestoreAsync(new CheckpointRestoreContext(full.Manifest!, store.GetCheckpointDirectory(full.CheckpointId)), CancellationToken.None);
        Assert.Equal(expected, Rows(last));
        third.CloseStore();
    }

    [Fact]
    public async Task FullCheckpointsAndSavepoints_CarryTheSameState()
    {
        var events = Events(new Random(5), 6_000, sparse: true);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        // A participant without incremental mode writes the operator's full snapshot ("KKAG").
        var old = new OperatorParticipant("sales");
        var op = new KeyedAggregator<Order, long, SumState, SumRow, SumSpec>(16, old);
        old.Bind(op);
        op.Apply(events.AsSpan(0, 3_000));
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(old);
        var fullId = (await CheckpointResult(coordinator, old)).CheckpointId;
        Assert.True(File.Exists(Path.Combine(store.GetCheckpointDirectory(fullId), "sales.state")));

        // An incremental participant restores it and goes on; its first capture is full.
        var (participant, restored, _, next) = Open("live", store);
        await participant.RestoreAsync(new CheckpointRestoreContext(store.ReadManifest(fullId), store.GetCheckpointDirectory(fullId)), CancellationToken.None);
        Assert.Equal(GroupBy(events.AsSpan(0, 3_000)), Rows(restored));
        restored.Apply(events.AsSpan(3_000));
        var incremental = await CheckpointResult(next, participant);
        Assert.Equal(restored.Count, incremental.Stats.KeysWritten);
        Assert.True(File.Exists(Path.Combine(store.GetCheckpointDirectory(incremental.CheckpointId), "sales.meta")));
        participant.CloseStore();

        // Its savepoint holds the full format, rebuilt from the metadata and the LSM checkpoint.
        var savepointDir = Path.Combine(_dir.Path, "sp");
        Savepoint.Write(store, incremental.CheckpointId, [participant], savepointDir);
        var fresh = new OperatorParticipant("sales");
        var fromSavepoint = new KeyedAggregator<Order, long, SumState, SumRow, SumSpec>(16, fresh);
        fresh.Bind(fromSavepoint);
        await fresh.RestoreFromSavepointAsync(Savepoint.Read(savepointDir), savepointDir, CancellationToken.None);
        Assert.Equal(GroupBy(events), Rows(fromSavepoint));
        Assert.Equal(events.Length, fromSavepoint.EventsSeen);

        // And a participant not in incremental mode restores the incremental checkpoint the same way.
        var plain = new OperatorParticipant("sales");
        var viaCopy = new KeyedAggregator<Order, long, SumState, SumRow, SumSpec>(16, plain);
        plain.Bind(viaCopy);
        await plain.RestoreAsync(new CheckpointRestoreContext(incremental.Manifest!, store.GetCheckpointDirectory(incremental.CheckpointId)), CancellationToken.None);
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
        long pending = -1;
        void Prepare()
        {
            // Completes the previous checkpoint (its capture goes back to the participant), then updates 500 keys.
            if (pending >= 0)
            {
                var result = coordinator.OnBarrierInjectedAsync(pending, 0, CancellationToken.None).GetAwaiter().GetResult();
                Assert.True(result.Outcome == CheckpointOutcome.Completed, $"checkpoint {pending}: {result.Failure}");
            }
            for (var i = 0; i < updates.Length; i++) updates[i] = Order.Of(rng.Next(fill.Length) * 3, 0);
            op.Apply(updates);
            pending = coordinator.ReserveCheckpointId();
        }
        // Warm-up: the first capture is full, the next ones grow the buffers to the dirty set.
        for (var i = 0; i < 4; i++)
        {
            Prepare();
            participant.OnBarrier(pending, 0);
        }
        Assert.Equal(0, Allocations.SteadyState(Prepare, () => participant.OnBarrier(pending, 0)));
        await coordinator.OnBarrierInjectedAsync(pending, 0, CancellationToken.None);
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
        var result = await CheckpointResult(coordinator, participant);
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
            await again.RestoreAsync(new CheckpointRestoreContext(result.Manifest!, store.GetCheckpointDirectory(result.CheckpointId)), CancellationToken.None));
        Assert.Contains(metaPath, e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        again.CloseStore();
    }

    /// <summary>Recomputes the CRC-32C at the end of a metadata file, so that a damage inside is seen by the checks after it.</summary>
    private static void Reseal(byte[] meta) =>
        BinaryPrimitives.WriteUInt32LittleEndian(meta.AsSpan(meta.Length - 4), Crc32C.Compute(meta.AsSpan(0, meta.Length - 4)));

    private (OperatorParticipant, KeyedAggregator<Order, long, SumState, SumRow, SumSpec>, CheckpointStore, CheckpointCoordinator) Open(string live, CheckpointStore? store = null)
    {
        var participant = new OperatorParticipant("sales");
        participant.EnableIncremental(Path.Combine(_dir.Path, live));
        var op = new KeyedAggregator<Order, long, SumState, SumRow, SumSpec>(16, participant);
        participant.Bind(op);
        store ??= new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 10 });
        coordinator.Register(participant);
        return (participant, op, store, coordinator);
    }

    internal static async Task<CheckpointResult> CheckpointResult(CheckpointCoordinator coordinator, OperatorParticipant participant)
    {
        var id = coordinator.ReserveCheckpointId();
        participant.OnBarrier(id, 0);
        var result = await coordinator.OnBarrierInjectedAsync(id, 0, CancellationToken.None);
        Assert.True(result.Outcome == CheckpointOutcome.Completed, $"checkpoint {id}: {result.Failure}");
        return result;
    }

    /// <summary>Orders over a skewed key set: dense ids in [0, 3000), or sparse ones spread over 2^40.</summary>
    internal static Order[] Events(Random rng, int n, bool sparse)
    {
        var events = new Order[n];
        for (var i = 0; i < n; i++)
        {
            long id = rng.Next(4) == 0 ? rng.Next(3_000) : rng.Next(60);
            if (sparse) id = id * 366_503_875_927L % (1L << 40);
            events[i] = Order.Of(id, i, rng.Next(1, 1_000), rng.Next(1, 5), i);
        }
        return events;
    }

    /// <summary>SELECT product, SUM(revenue), COUNT(*) GROUP BY product, ordered by product: computed without the operator.</summary>
    internal static List<SumRow> GroupBy(ReadOnlySpan<Order> events)
    {
        var sums = new Dictionary<long, (long Revenue, long Orders)>();
        foreach (var e in events)
        {
            sums.TryGetValue(e.ProductId, out var s);
            sums[e.ProductId] = (s.Revenue + e.PriceCents * e.Quantity, s.Orders + 1);
        }
        return sums.Select(p => new SumRow(p.Key, p.Value.Revenue, p.Value.Orders)).OrderBy(r => r.ProductId).ToList();
    }

    internal static List<SumRow> Rows(KeyedAggregator<Order, long, SumState, SumRow, SumSpec> op)
    {
        var rows = new List<SumRow>();
        foreach (var row in op.GetRows()) rows.Add(row);
        return rows.OrderBy(r => r.ProductId).ToList();
    }

    public readonly record struct SumRow(long ProductId, long Revenue, long Orders);

    public struct SumState
    {
        public long Revenue;
        public long Orders;
    }

    public struct SumSpec : IAggregationSpec<Order, long, SumState, SumRow>
    {
        public static string Name => "Tests.KeyedIncrementalSales";
        public static ulong StateFingerprint => 0x1AC0_0000_0000_0002UL;
        public static WindowSpec Window => default;
        public static bool Filter(in Order e) => true;
        public static long KeyOf(in Order e) => e.ProductId;
        public static ulong HashKey(in long key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);
        public static long EventTime(in Order e) => e.TimestampMs;
        public static void Init(out SumState state) => state = default;

        public static void Update(ref SumState state, in Order e)
        {
            state.Revenue += e.RevenueCents;
            state.Orders++;
        }

        public static void Merge(ref SumState into, in SumState other)
        {
            into.Revenue += other.Revenue;
            into.Orders += other.Orders;
        }

        public static void ToRow(in long key, in SumState state, long windowStartMs, long windowEndMs, out SumRow row) =>
            row = new SumRow(key, state.Revenue, state.Orders);
    }
}
