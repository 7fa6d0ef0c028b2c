using Kernel.Modes;
using Kernel.Operators;
using Kernel.Queries;
using Kernel.Tests.Generators.Declarations;
using Xunit;
using Kernel.Tests.Modes;
using static Kernel.Tests.Modes.ModeFixtures;

namespace Kernel.Tests.Queries;

public class StateQueryTests
{
    [Fact]
    public void Keyed_PointLookup_Scan_AndTop_MatchGroupBy()
    {
        const int seed = 91;
        var orders = Orders(seed, 20_000, 200, 3, shuffle: true);
        var view = new KeyedStateView<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(Keyed());
        BatchRunner.Run(view, (ReadOnlySpan<Order>)orders);
        var oracle = GroupByProduct(orders);

        Assert.True(view.TryGet(7, out var row, out var sequence));
        Assert.Equal(orders.Length, sequence);
        Assert.Equal((oracle[7].Revenue, oracle[7].Orders), (row.RevenueCents, row.Orders));
        Assert.False(view.TryGet(10_000, out _, out _));

        var rows = new List<RevenueByProduct>();
        Assert.Equal(orders.Length, view.CopyRows(rows));
        Assert.Equal(oracle.Count, rows.Count);
        Assert.All(rows, r => Assert.Equal(oracle[r.ProductId].Revenue, r.RevenueCents));

        var top = view.Top(5, r => r.RevenueCents, out var topSequence);
        Assert.Equal(orders.Length, topSequence);
        var expected = oracle.OrderByDescending(p => p.Value.Revenue).Take(5).Select(p => p.Value.Revenue).ToArray();
        Assert.Equal(expected, top.Select(r => r.RevenueCents).ToArray());
    }

    [Fact]
    public void Windowed_Tumbling_QueriesLiveState_ByKeyAndDay_BeforeAndAfterTheEnd()
    {
        const int seed = 92;
        var orders = Orders(seed, 30_000, 40, 5, shuffle: true);
        var finals = new FinalRows<DailyRevenue>();
        var view = new WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>(Daily(finals));
        BatchRunner.Run(view, (ReadOnlySpan<Order>)orders, new BatchOptions { CompleteAtEnd = false });
        var oracle = GroupByProductDay(orders);

        // Point lookups: every (product, day) of the oracle, and a day with nothing.
        foreach (var ((product, day), expected) in oracle)
        {
            Assert.True(view.TryGet(product, day, out var row, out var seq), $"seed {seed}: ({product}, {day}) missing");
            Assert.Equal(orders.Length, seq);
            Assert.Equal(expected, (row.RevenueCents, row.Orders));
            Assert.Equal(day + Day, row.DayEndMs);
        }
        Assert.False(view.TryGet(0, Start + 100 * Day, out _, out _));

        // One day, every product.
        var dayRows = new List<DailyRevenue>();
        view.CopyWindow(Start + 2 * Day, dayRows);
        Assert.Equal(oracle.Where(p => p.Key.DayStart == Start + 2 * Day).ToDictionary(p => p.Key.Product, p => p.Value),
            dayRows.ToDictionary(r => r.ProductId, r => (r.RevenueCents, r.Orders)));

        // One product, every day, by day.
        var productRows = new List<DailyRevenue>();
        view.CopyKey(3, productRows);
        Assert.Equal(oracle.Where(p => p.Key.Product == 3).OrderBy(p => p.Key.DayStart).Select(p => (p.Key.DayStart, p.Value.Revenue)),
            productRows.Select(r => (r.DayStartMs, r.RevenueCents)));

        // Top 3 of a day by revenue.
        var top = view.Top(Start + Day, 3, r => r.RevenueCents, out _);
        Assert.Equal(oracle.Where(p => p.Key.DayStart == Start + Day).Select(p => p.Value.Revenue).OrderDescending().Take(3), top.Select(r => r.RevenueCents));

        // After the end: live state is gone, the finalized rows hold the answers.
        Assert.Equal(0, finals.Count);
        view.Complete();
        Assert.False(view.TryGet(3, Start, out _, out _));
        Assert.Equal(oracle.Count, finals.Count);
        var final = finals.Where(r => r.ProductId == 3 && r.DayStartMs == Start, out var count);
        Assert.Equal(oracle.Count, count);
        Assert.Equal(oracle[(3, Start)].Revenue, Assert.Single(final).RevenueCents);
    }

    [Fact]
    public void Windowed_Sliding_PointLookup_MergesPanes()
    {
        const int seed = 93;
        var orders = Orders(seed, 10_000, 20, 4, shuffle: true);
        var sliding = DailyRevenue.Spec.Window with { Kind = WindowKind.Sliding, SizeMs = 2 * Day, SlideMs = Day };
        var view = new WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>(Daily(new DailyRows(), window: sliding));
        BatchRunner.Run(view, (ReadOnlySpan<Order>)orders, new BatchOptions { CompleteAtEnd = false });
        var oracle = GroupByProductDay(orders, windowDays: 2);
        foreach (var ((product, start), expected) in oracle)
        {
            Assert.True(view.TryGet(product, start, out var row, out _), $"seed {seed}: ({product}, {start}) missing");
            Assert.Equal(expected, (row.RevenueCents, row.Orders));
        }
        var rows = new List<DailyRevenue>();
        view.CopyWindow(Start + Day, rows);
        Assert.Equal(oracle.Where(p => p.Key.DayStart == Start + Day).ToDictionary(p => p.Key.Product, p => p.Value),
            rows.ToDictionary(r => r.ProductId, r => (r.RevenueCents, r.Orders)));
        var keyRows = new List<DailyRevenue>();
        view.CopyKey(5, keyRows);
        Assert.Equal(oracle.Where(p => p.Key.Product == 5).OrderBy(p => p.Key.DayStart).Select(p => p.Key.DayStart), keyRows.Select(r => r.DayStartMs));
    }

    [Fact]
    public void Windowed_Session_LiveQueries_AreRefused_Clearly()
    {
        var session = DailyRevenue.Spec.Window with { Kind = WindowKind.Session, GapMs = 60_000, SizeMs = 0, SlideMs = 0 };
        var view = new WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>(Daily(new DailyRows(), window: session));
        var e = Assert.Throws<NotSupportedException>(() => view.TryGet(1, 0, out _, out _));
        Assert.Contains("session", e.Message);
    }
}
