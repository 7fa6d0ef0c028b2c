using System.Buffers;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.State;
using Kernel.Tests.Operators.Specs;

namespace Kernel.Tests.Operators;

/// <summary>
/// The keyed operator's direct-mode loops (dense integer keys folded through a view of the table taken
/// once per batch) across every way a batch can leave or re-enter them: keys added, the table growing,
/// a key outside the slots turning it hashed in the middle of a batch, and a barrier's listener
/// snapshotting the table between two events. Expected rows come from a GROUP BY over the input.
/// </summary>
public sealed class KeyedAggregatorDirectModeTests
{
    // Dense ids, then in the middle of the input a few keys no direct table holds (negative, huge).
    private static Order[] Orders(int seed, int n, int products, bool scatterMidway)
    {
        var rng = new Random(seed);
        var orders = new Order[n];
        for (var i = 0; i < n; i++)
        {
            long product = rng.Next(products);
            if (scatterMidway && i > n / 2 && rng.Next(500) == 0) product = rng.Next(2) == 0 ? -1 - rng.Next(5) : 5_000_000_000L + rng.Next(5);
            orders[i] = Order.Of(product, rng.Next(1_000_000), rng.Next(10) == 0 ? 0 : rng.Next(1, 10_000), rng.Next(1, 4), i);
        }
        return orders;
    }

    private static void AssertEqualsGroupBy(int seed, Order[] orders, KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec> op)
    {
        var expected = orders.Where(o => o.IsPaid).GroupBy(o => o.ProductId).ToDictionary(g => g.Key, g =>
            (Revenue: g.Sum(o => o.RevenueCents), Orders: g.LongCount(), Cheapest: g.Min(o => o.PriceCents), Dearest: g.Max(o => o.PriceCents),
             Last: g.OrderByDescending(o => o.TimestampMs).ThenByDescending(o => o.OrderId).First().OrderId));
        Assert.True(expected.Count == op.Count, $"seed {seed}: {op.Count} keys, expected {expected.Count}");
        foreach (var (key, want) in expected)
        {
            Assert.True(op.TryGet(key, out var row), $"seed {seed}: key {key} missing");
            Assert.True(want == (row.RevenueCents, row.Orders, row.Cheapest, row.Dearest, row.LastOrder), $"seed {seed}: key {key}: {row} vs {want}");
        }
        Assert.Equal(orders.Length, op.EventsSeen);
    }

    [Theory]
    [InlineData(21, false)]
    [InlineData(22, true)]
    [InlineData(23, true)]
    public void Apply_DenseGrowingAndTurningHashedMidBatch_EqualsGroupBy(int seed, bool scatter)
    {
        // 16 initial keys and 20,000 products: the direct table grows several times inside batches.
        var orders = Orders(seed, 60_000, 20_000, scatter);
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(initialCapacity: 16);
        for (var i = 0; i < orders.Length; i += 1_500) op.Apply(orders.AsSpan(i, Math.Min(1_500, orders.Length - i)));
        AssertEqualsGroupBy(seed, orders, op);
    }

    [Theory]
    [InlineData(31, false)]
    [InlineData(32, true)]
    public void OnBatch_WithControlEntriesAndSnapshotsAtBarriers_EqualsGroupBy(int seed, bool scatter)
    {
        var orders = Orders(seed, 40_000, 5_000, scatter);
        var snapshots = new Snapshotter();
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(initialCapacity: 16, control: snapshots);
        snapshots.Operator = op;
        var entries = new List<RingEntry<Order>>();
        for (var i = 0; i < orders.Length; i++)
        {
            if (i % 97 == 0) entries.Add(new RingEntry<Order> { Kind = EntryKind.Watermark, Value = i });
            if (i % 1_000 == 500) entries.Add(new RingEntry<Order> { Kind = EntryKind.Barrier, Value = i });
            entries.Add(new RingEntry<Order> { Event = orders[i] });
        }
        var all = entries.ToArray();
        for (var i = 0; i < all.Length; i += 2_048) op.OnBatch(all.AsSpan(i, Math.Min(2_048, all.Length - i)), i);
        AssertEqualsGroupBy(seed, orders, op);
        Assert.Equal(40, snapshots.Taken);
        Assert.Equal(orders.Length - 1 - (orders.Length - 1) % 97, op.Watermark);

        // The state snapshotted at barriers and restored equals the live one.
        var full = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(full, SnapshotScope.Full);
        var copy = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>();
        copy.Restore(full.WrittenSpan);
        foreach (var row in op.GetRows())
        {
            Assert.True(copy.TryGet(row.ProductId, out var restored), $"seed {seed}: key {row.ProductId}");
            Assert.Equal(row, restored);
        }
    }

    [Theory]
    [InlineData(41)]
    [InlineData(42)]
    [InlineData(43)]
    public void OnBatch_DenseControlEntriesAndTinyBatches_CountsEventsSeenAtEveryBarrier(int seed)
    {
        // Control entries back to back, first and last in a batch, batches of only control entries,
        // and a barrier listener that snapshots (so keys turn clean and leave the direct loop's hit path):
        // at every barrier the operator must have counted exactly the events before it.
        var rng = new Random(seed);
        var orders = Orders(seed, 12_000, 300, scatterMidway: false);
        var entries = new List<RingEntry<Order>>();
        var eventsBefore = new List<long>();   // per barrier, in order
        long events = 0;
        foreach (var order in orders)
        {
            while (rng.Next(4) == 0)
            {
                if (rng.Next(2) == 0)
                {
                    entries.Add(new RingEntry<Order> { Kind = EntryKind.Barrier, Value = eventsBefore.Count });
                    eventsBefore.Add(events);
                }
                else
                {
                    entries.Add(new RingEntry<Order> { Kind = EntryKind.Watermark, Value = events });
                }
            }
            entries.Add(new RingEntry<Order> { Event = order });
            events++;
        }
        var counts = new CountingSnapshotter();
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(initialCapacity: 16, control: counts);
        counts.Operator = op;
        var all = entries.ToArray();
        for (var i = 0; i < all.Length;)
        {
            var n = Math.Min(rng.Next(1, 40), all.Length - i);
            op.OnBatch(all.AsSpan(i, n), i);
            i += n;
        }
        AssertEqualsGroupBy(seed, orders, op);
        Assert.True(eventsBefore.SequenceEqual(counts.SeenAtBarrier), $"seed {seed}: events seen at the barriers differ");
    }

    private sealed class CountingSnapshotter : IControlListener
    {
        public KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>? Operator;
        public readonly List<long> SeenAtBarrier = new();

        public void OnBarrier(long checkpointId, long sequence)
        {
            Operator!.WriteSnapshot(new ArrayBufferWriter<byte>(), SnapshotScope.Changes);
            SeenAtBarrier.Add(Operator.EventsSeen);
        }

        public void OnEndOfInput(int sourceId, long sequence)
        {
        }
    }

    private sealed class Snapshotter : IControlListener
    {
        public KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>? Operator;
        public int Taken;

        public void OnBarrier(long checkpointId, long sequence)
        {
            Operator!.WriteSnapshot(new ArrayBufferWriter<byte>(), SnapshotScope.Changes);
            Taken++;
        }

        public void OnEndOfInput(int sourceId, long sequence)
        {
        }
    }
}
