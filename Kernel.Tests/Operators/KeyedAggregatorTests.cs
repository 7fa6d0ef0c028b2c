using System.Buffers;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.State;
using Kernel.Tests.Operators.Specs;

namespace Kernel.Tests.Operators;

public sealed class KeyedAggregatorTests
{
    private static Order[] RandomOrders(int seed, int n, int products)
    {
        var rng = new Random(seed);
        var orders = new Order[n];
        for (var i = 0; i < n; i++)
            orders[i] = Order.Of(rng.Next(products), rng.Next(1_000_000), rng.Next(8) == 0 ? 0 : rng.Next(1, 10_000), rng.Next(1, 4), i);
        return orders;
    }

    private static Dictionary<long, RevenueRow> GroupBy(Order[] orders) =>
        orders.Where(o => o.IsPaid).GroupBy(o => o.ProductId).ToDictionary(g => g.Key, g =>
        {
            var first = g.OrderBy(o => o.TimestampMs).ThenBy(o => o.OrderId).First();
            var last = g.OrderByDescending(o => o.TimestampMs).ThenByDescending(o => o.OrderId).First();
            return new RevenueRow(g.Key, 0, 0, g.Sum(o => o.RevenueCents), g.LongCount(), g.Min(o => o.PriceCents),
                g.Max(o => o.PriceCents), g.Average(o => (double)o.PriceCents), first.OrderId, last.OrderId);
        });

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Apply_EqualsGroupBy(int seed)
    {
        var orders = RandomOrders(seed, 50_000, 3_000);
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(initialCapacity: 16);
        for (var i = 0; i < orders.Length; i += 1_000) op.Apply(orders.AsSpan(i, 1_000));
        var expected = GroupBy(orders);
        Assert.True(expected.Count == op.Count, $"seed {seed}: count");
        foreach (var (key, row) in expected)
        {
            Assert.True(op.TryGet(key, out var actual), $"seed {seed}: key {key}");
            Assert.True(row.RevenueCents == actual.RevenueCents && row.Orders == actual.Orders && row.Cheapest == actual.Cheapest
                && row.Dearest == actual.Dearest && Math.Abs(row.AvgPrice - actual.AvgPrice) < 1e-9
                && row.FirstOrder == actual.FirstOrder && row.LastOrder == actual.LastOrder, $"seed {seed}: key {key}: {actual} vs {row}");
        }
        var enumerated = 0;
        foreach (var row in op.GetRows())
        {
            Assert.Equal(expected[row.ProductId].RevenueCents, row.RevenueCents);
            enumerated++;
        }
        Assert.Equal(expected.Count, enumerated);
        Assert.False(op.TryGet(-1, out _));
        Assert.Equal(orders.Length, op.EventsSeen);
    }

    [Fact]
    public void OnBatch_SkipsControlEntries_AndReportsThem()
    {
        var listener = new Recorder();
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(control: listener);
        RingEntry<Order>[] entries =
        [
            new() { Event = Order.Of(1, 10, 100, 2) },
            new() { Kind = EntryKind.Watermark, Value = 5, Event = Order.Of(1, 10, 999) },   // payload ignored
            new() { Kind = EntryKind.Barrier, Value = 7, Event = Order.Of(1, 10, 999) },
            new() { Event = Order.Of(1, 11, 50) },
            new() { Event = Order.Of(2, 11, 0) },                                           // unpaid: filtered
            new() { Kind = EntryKind.EndOfInput, SourceId = 3 },
        ];
        op.OnBatch(entries, 40);
        Assert.True(op.TryGet(1, out var row));
        Assert.Equal(250, row.RevenueCents);
        Assert.Equal(2, row.Orders);
        Assert.False(op.TryGet(2, out _));
        Assert.Equal(5, op.Watermark);
        Assert.Equal(new[] { "barrier 7 @42", "end 3 @45" }, listener.Calls);
        Assert.Equal(3, op.EventsSeen);
    }

    [Fact]
    public void Snapshot_RestoresIntoAFreshOperator_AndRefusesAnotherAggregation()
    {
        var orders = RandomOrders(5, 10_000, 500);
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>();
        op.Apply(orders);
        var full = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(full, SnapshotScope.Full);
        op.Apply(orders.AsSpan(0, 100));
        var delta = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(delta, SnapshotScope.Changes);

        var copy = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>();
        copy.Restore(full.WrittenSpan);
        copy.Restore(delta.WrittenSpan);
        Assert.Equal(op.Count, copy.Count);
        foreach (var row in op.GetRows())
        {
            Assert.True(copy.TryGet(row.ProductId, out var restored));
            Assert.Equal(row, restored);
        }

        var other = new KeyedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>();
        var ex = Assert.Throws<InvalidDataException>(() => other.Restore(full.WrittenSpan));
        Assert.Contains("Tests.DailyRevenue", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Tests.RevenueByProduct", ex.Message, StringComparison.Ordinal);
    }

    private sealed class Recorder : IControlListener
    {
        public List<string> Calls { get; } = new();
        public void OnBarrier(long checkpointId, long sequence) => Calls.Add($"barrier {checkpointId} @{sequence}");
        public void OnEndOfInput(int sourceId, long sequence) => Calls.Add($"end {sourceId} @{sequence}");
    }
}
