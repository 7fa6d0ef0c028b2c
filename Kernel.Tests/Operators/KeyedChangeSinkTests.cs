using System.Buffers;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.State;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Xunit.Abstractions;

namespace Kernel.Tests.Operators;

/// <summary>
/// The change sink of the unwindowed keyed aggregation: once per batch, every key the batch changed,
/// once, with its current row; nothing for a key the batch did not change; nothing at all without a
/// sink. Expected keys and values come from the events (hand-derived, or a LINQ GROUP BY over the
/// events so far), never from the operator.
/// </summary>
public sealed class KeyedChangeSinkTests(ITestOutputHelper output)
{
    private sealed class Listener(RowCollector rows) : IControlListener
    {
        public List<string> Calls { get; } = new();

        public void OnBarrier(long checkpointId, long sequence) => Calls.Add($"barrier {checkpointId} after {rows.Rows.Count} rows");

        public void OnEndOfInput(int sourceId, long sequence) => Calls.Add($"end {sourceId} after {rows.Rows.Count} rows");
    }

    private static RingEntry<Order> Event(in Order o) => new() { Kind = EntryKind.Event, Event = o };

    private static string Line(RevenueRow r, RowRevision v) =>
        $"{r.ProductId}:{r.Orders}/{r.RevenueCents} min{r.Cheapest} max{r.Dearest} r{v.Revision}{(v.IsFinal ? "F" : "")} w{v.WindowStartMs}-{v.WindowEndMs}";

    [Fact]
    public void Apply_SendsEachChangedKeyOnce_WithItsCurrentRow_AndNothingForUnchangedKeys()
    {
        var sink = new RowCollector();
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(new KeyedAggregatorOptions { InitialCapacity = 16 }, sink);

        // Batch 1: product 1 three times (100 + 2×300 + 50), product 2 once, product 4 only unpaid (filtered: no change).
        op.Apply([Order.Of(1, 10, 100), Order.Of(2, 11, 700), Order.Of(1, 12, 300, 2), Order.Of(4, 13, 0), Order.Of(1, 14, 50)]);
        Assert.Equal(new[] { "1:3/750 min50 max300 r0 w0-0", "2:1/700 min700 max700 r0 w0-0" }, sink.Rows.Select(r => Line(r.Row, r.Revision)).Order().ToArray());

        // Batch 2: product 2 twice, product 3 new; product 1 untouched is not sent again.
        sink.Clear();
        op.Apply([Order.Of(2, 20, 10), Order.Of(3, 21, 5), Order.Of(2, 22, 20)]);
        Assert.Equal(new[] { "2:3/730 min10 max700 r1 w0-0", "3:1/5 min5 max5 r1 w0-0" }, sink.Rows.Select(r => Line(r.Row, r.Revision)).Order().ToArray());

        // Batch 3: only filtered events, and an empty batch: nothing, and the revision does not move.
        sink.Clear();
        op.Apply([Order.Of(1, 30, 0), Order.Of(9, 31, -5)]);
        op.Apply([]);
        op.FlushChanges();
        Assert.Empty(sink.Rows);
        op.Apply([Order.Of(1, 40, 1)]);
        Assert.Equal(new[] { "1:4/751 min1 max300 r2 w0-0" }, sink.Rows.Select(r => Line(r.Row, r.Revision)).ToArray());
        Assert.Equal(5, op.ChangesEmitted);
        Assert.Same(sink, op.Changes);
    }

    [Fact]
    public void OnBatch_FlushesBeforeABarrierAndEndOfInputReachTheListener_AndAtTheEndOfTheBatch()
    {
        var sink = new RowCollector();
        var listener = new Listener(sink);
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(new KeyedAggregatorOptions { Control = listener }, sink);
        RingEntry<Order>[] entries =
        [
            Event(Order.Of(1, 1, 10)), Event(Order.Of(1, 2, 20)), Event(Order.Of(2, 3, 5)),
            new() { Kind = EntryKind.Barrier, Value = 7 },
            Event(Order.Of(1, 4, 30)), Event(Order.Of(3, 5, 1)), Event(Order.Of(1, 6, 40)),
            new() { Kind = EntryKind.Watermark, Value = 6 },
            Event(Order.Of(3, 7, 2)),
        ];
        op.OnBatch(entries, 100);
        // Before the barrier: 1 (10+20) and 2; after it: 1 again (its later orders), 3; one row each, the
        // watermark entry not cutting the batch.
        Assert.Equal(new[] { "barrier 7 after 2 rows" }, listener.Calls);
        Assert.Equal(new[]
        {
            "1:2/30 min10 max20 r0 w0-0", "2:1/5 min5 max5 r0 w0-0",
            "1:4/100 min10 max40 r1 w0-0", "3:2/3 min1 max2 r1 w0-0",
        }, sink.Rows.Select(r => Line(r.Row, r.Revision)).Take(2).Order().Concat(sink.Rows.Select(r => Line(r.Row, r.Revision)).Skip(2).Order()).ToArray());
        Assert.All(sink.Rows.Skip(2), r => Assert.Equal(6, r.Revision.Watermark));

        sink.Clear();
        op.OnBatch([Event(Order.Of(2, 8, 1)), new() { Kind = EntryKind.EndOfInput, SourceId = 0 }], 109);
        Assert.Equal(new[] { "barrier 7 after 2 rows", "end 0 after 1 rows" }, listener.Calls);
        Assert.Equal(new[] { "2:2/6 min1 max5 r2 w0-0" }, sink.Rows.Select(r => Line(r.Row, r.Revision)).ToArray());
    }

    [Fact]
    public void WithoutASink_NothingIsTracked_AndNothingEmitted()
    {
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(new KeyedAggregatorOptions(), changes: null);
        var plain = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(64);
        var orders = Enumerable.Range(0, 2_000).Select(i => Order.Of(i % 300, i, 1 + i % 7)).ToArray();
        op.Apply(orders);
        plain.Apply(orders);
        op.FlushChanges();
        Assert.Null(op.Changes);
        Assert.Null(plain.Changes);
        Assert.Equal(0, op.ChangesEmitted);
        Assert.False(op.TableTracksChanges);
        Assert.False(plain.TableTracksChanges);
        var withSink = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(new KeyedAggregatorOptions(), new CountingSink());
        Assert.True(withSink.TableTracksChanges);
    }

    /// <summary>
    /// Random batches over dense keys (the table's direct mode) or sparse ones (hashed), from a tiny
    /// initial capacity (so the table grows, and direct tables may turn hashed), with batches that change
    /// more keys than the changed list holds: after each batch the rows sent are exactly the keys the batch
    /// folded a paid order into, each once, with the GROUP BY of every paid order so far.
    /// </summary>
    [Theory]
    [InlineData(1, false, 40, 400)]
    [InlineData(2, false, 3_000, 3_000)]
    [InlineData(3, true, 40, 400)]
    [InlineData(4, true, 3_000, 3_000)]
    [InlineData(5, false, 20_000, 20_000)]
    public void EveryBatch_SendsExactlyItsChangedKeys_OnceEach_EqualToGroupBy(int seed, bool sparse, int products, int maxBatch)
    {
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        var sink = new RowCollector();
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(new KeyedAggregatorOptions { InitialCapacity = 16 }, sink);
        var sums = new Dictionary<long, (long Revenue, long Orders, long Min, long Max)>();
        var id = 0L;
        for (var batch = 0; batch < 60; batch++)
        {
            var n = rng.Next(0, maxBatch + 1);
            var orders = new Order[n];
            // Some batches touch few keys many times, some many keys once.
            var spread = rng.Next(2) == 0 ? Math.Max(1, products / 20) : products;
            for (var i = 0; i < n; i++)
            {
                var p = (long)rng.Next(spread);
                if (sparse) p = p * 1_000_003_007L + 17;
                orders[i] = Order.Of(p, id, rng.Next(6) == 0 ? 0 : rng.Next(1, 1_000), rng.Next(1, 4), id);
                id++;
            }
            sink.Clear();
            if (rng.Next(2) == 0) op.Apply(orders);
            else op.OnBatch(orders.Select(o => Event(o)).ToArray(), id - n);
            var changed = new HashSet<long>();
            foreach (var o in orders)
            {
                if (!o.IsPaid) continue;
                changed.Add(o.ProductId);
                sums[o.ProductId] = sums.TryGetValue(o.ProductId, out var s)
                    ? (s.Revenue + o.RevenueCents, s.Orders + 1, Math.Min(s.Min, o.PriceCents), Math.Max(s.Max, o.PriceCents))
                    : (o.RevenueCents, 1, o.PriceCents, o.PriceCents);
            }
            var sent = sink.Rows.Select(r => r.Row.ProductId).ToArray();
            Assert.True(sent.Length == changed.Count && sent.ToHashSet().SetEquals(changed),
                $"seed {seed} batch {batch}: {sent.Length} rows sent ({sent.Distinct().Count()} keys), {changed.Count} keys changed");
            foreach (var (row, _) in sink.Rows)
            {
                var e = sums[row.ProductId];
                Assert.True((row.RevenueCents, row.Orders, row.Cheapest, row.Dearest) == e, $"seed {seed} batch {batch}: key {row.ProductId}: {row} vs {e}");
            }
        }
        Assert.Equal(sums.Count, op.Count);
    }

    /// <summary>
    /// The change sink and the incremental checkpoint's dirty tracking share the table's control bytes:
    /// neither disturbs the other. Changes snapshots (which mark the table clean) between and inside
    /// emissions still restore to the same state, and the sink still gets exactly each batch's keys.
    /// </summary>
    [Theory]
    [InlineData(21, false)]
    [InlineData(22, true)]
    public void ChangesSnapshots_AndTheSink_DoNotDisturbEachOther(int seed, bool sparse)
    {
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        var sink = new RowCollector();
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(new KeyedAggregatorOptions { InitialCapacity = 16 }, sink);
        var mirror = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(16);
        var snapshots = new List<byte[]>();
        var full = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(full, SnapshotScope.Full);
        snapshots.Add(full.WrittenSpan.ToArray());
        for (var batch = 0; batch < 40; batch++)
        {
            var orders = Enumerable.Range(0, rng.Next(1, 800)).Select(_ =>
            {
                var p = (long)rng.Next(500);
                return Order.Of(sparse ? p * 7_919_000_003L : p, batch, rng.Next(1, 100));
            }).ToArray();
            sink.Clear();
            op.Apply(orders);
            mirror.Apply(orders);
            Assert.True(sink.Rows.Select(r => r.Row.ProductId).Order().SequenceEqual(orders.Select(o => o.ProductId).Distinct().Order()), $"seed {seed} batch {batch}: keys sent");
            if (rng.Next(3) == 0)
            {
                var changes = new ArrayBufferWriter<byte>();
                op.WriteSnapshot(changes, SnapshotScope.Changes);
                snapshots.Add(changes.WrittenSpan.ToArray());
            }
        }
        var last = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(last, SnapshotScope.Changes);
        snapshots.Add(last.WrittenSpan.ToArray());
        var restored = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(16);
        foreach (var s in snapshots) restored.Restore(s);
        Assert.Equal(mirror.Count, restored.Count);
        foreach (var row in mirror.GetRows())
        {
            Assert.True(restored.TryGet(row.ProductId, out var other), $"seed {seed}: key {row.ProductId} lost");
            Assert.Equal(row, other);
        }
    }

    [Fact]
    public void ARestore_CountsEveryKeyAsChanged_SoTheNextFlushSendsEachOnce()
    {
        var source = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(16);
        source.Apply([Order.Of(1, 1, 10), Order.Of(2, 2, 20), Order.Of(1, 3, 30)]);
        var snapshot = new ArrayBufferWriter<byte>();
        source.WriteSnapshot(snapshot, SnapshotScope.Full);
        var sink = new RowCollector();
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(new KeyedAggregatorOptions { InitialCapacity = 16 }, sink);
        op.Restore(snapshot.WrittenSpan);
        op.FlushChanges();
        Assert.Equal(new[] { "1:2/40 min10 max30 r0 w0-0", "2:1/20 min20 max20 r0 w0-0" }, sink.Rows.Select(r => Line(r.Row, r.Revision)).Order().ToArray());
        sink.Clear();
        op.FlushChanges();
        Assert.Empty(sink.Rows);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithASink_SteadyBatchesAllocateNothing(bool sparse)
    {
        var rng = new Random(31);
        var orders = Enumerable.Range(0, 64_000).Select(i =>
        {
            var p = (long)rng.Next(5_000);
            return Order.Of(sparse ? p * 1_000_003L : p, i, rng.Next(1, 500), 1, i);
        }).ToArray();
        var entries = orders.Select(o => Event(o)).ToArray();
        var sink = new CountingSink();
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(new KeyedAggregatorOptions(), sink);
        for (var i = 0; i < orders.Length; i += 1_000) op.Apply(orders.AsSpan(i, 1_000));
        var allocated = Allocations.SteadyState(() =>
        {
            for (var i = 0; i < orders.Length; i += 1_000) op.Apply(orders.AsSpan(i, 1_000));
            for (var i = 0; i < entries.Length; i += 1_000) op.OnBatch(entries.AsSpan(i, 1_000), i);
        });
        Assert.True(sink.Count > 0);
        Assert.Equal(0, allocated);
    }
}
