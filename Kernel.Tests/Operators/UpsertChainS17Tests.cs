using Kernel.Operators;
using Kernel.Runtime;
using Kernel.Time;
using Xunit.Abstractions;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Operators;

/// <summary>Revenue and products per day over <see cref="D.DailyRevenue"/>'s rows (upserts of (product, day)).</summary>
[Aggregation(typeof(D.DailyRevenue))]
public partial struct S17DayTotals
{
    [Key(nameof(D.DailyRevenue.DayStartMs))] public long Day;
    [Sum(nameof(D.DailyRevenue.RevenueCents))] public long RevenueCents;
    [Count] public long Products;
}

/// <summary>
/// Aggregations over aggregations wired live (issue 3: "the downstream one consumes the upstream's
/// changes as upserts"): an unwindowed <c>RevenueByProduct</c> sending its changes to leaderboards, and
/// a windowed upstream revising its rows. The expected rows are a GROUP BY computed here from the orders
/// (or from the upstream's last revisions), never read from the operators under test.
/// </summary>
public sealed class UpsertChainS17Tests(ITestOutputHelper output)
{
    private static readonly long[] s_prices = [100, 200, 300, 400, 500];

    private sealed class Tee<T>(params IRowSink<T>[] sinks) : IRowSink<T>
    {
        public long Rows;

        public void OnRow(in T row, in RowRevision revision)
        {
            Rows++;
            foreach (var s in sinks) s.OnRow(row, revision);
        }
    }

    private sealed class Recorder<T> : IRowSink<T>
    {
        public List<(T Row, RowRevision Revision)> Rows { get; } = new();

        public void OnRow(in T row, in RowRevision revision) => Rows.Add((row, revision));
    }

    private static D.Order[] Orders(int seed, int count, int products)
    {
        var rng = new Random(seed);
        var orders = new D.Order[count];
        for (var i = 0; i < count; i++)
        {
            orders[i] = new D.Order
            {
                OrderId = i,
                ProductId = rng.Next(1, products + 1),
                // Mostly dear at first, cheaper later: a product's cheapest price (the downstream key)
                // moves band over time, so revisions move it from one downstream key to another.
                PriceCents = rng.Next(10) == 0 ? 0 : s_prices[Math.Max(0, s_prices.Length - 1 - rng.Next(1 + 5 * i / count))],
                Quantity = rng.Next(1, 4),
                TimestampMs = i,
            };
        }
        return orders;
    }

    /// <summary>The upstream's rows as a GROUP BY over the paid orders: product → (revenue, orders, cheapest).</summary>
    private static Dictionary<long, (long Revenue, long Orders, long Cheapest)> Products(D.Order[] orders) =>
        orders.Where(o => o.PriceCents > 0).GroupBy(o => o.ProductId)
            .ToDictionary(g => g.Key, g => (g.Sum(o => o.PriceCents * o.Quantity), g.LongCount(), g.Min(o => o.PriceCents)));

    private static void AssertDownstreamEqualsGroupBy(
        string context,
        D.Order[] orders,
        UpsertAggregator<D.RevenueByProduct, D.ProductTotals.UpstreamKey, long, D.ProductTotals.State, D.ProductTotals, D.ProductTotals.Spec> totals,
        UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec> board)
    {
        var bands = Products(orders).Values.GroupBy(p => p.Cheapest).ToDictionary(g => g.Key, g => (
            Revenue: g.Sum(p => p.Revenue), Products: g.LongCount(), AvgOrders: g.Average(p => (double)p.Orders), Best: g.Max(p => p.Revenue)));
        Assert.True(bands.Count == totals.Count, $"{context}: {totals.Count} bands held, expected {bands.Count}");
        Assert.True(bands.Count == board.Count, $"{context}: leaderboard holds {board.Count} bands, expected {bands.Count}");
        foreach (var (band, e) in bands)
        {
            Assert.True(totals.TryGet(band, out var t), $"{context}: band {band} missing");
            Assert.True((t.RevenueCents, t.Products) == (e.Revenue, e.Products) && Math.Abs(t.AvgOrders - e.AvgOrders) < 1e-9,
                $"{context}: band {band}: ({t.RevenueCents}, {t.Products}, {t.AvgOrders}) != {e}");
            Assert.True(board.TryGet(band, out var b), $"{context}: leaderboard band {band} missing");
            Assert.True((b.BestRevenueCents, b.Products) == (e.Best, e.Products), $"{context}: leaderboard band {band}: ({b.BestRevenueCents}, {b.Products}) != ({e.Best}, {e.Products})");
        }
    }

    [Theory]
    [InlineData(1, 5, 2_000)]
    [InlineData(2, 300, 40_000)]
    [InlineData(3, 5_000, 60_000)]
    public void KeyedUpstream_FeedsLeaderboardsLive_ThroughItsChangeSink_EqualToGroupBy(int seed, int products, int count)
    {
        output.WriteLine($"seed {seed}");
        var orders = Orders(seed, count, products);
        var totals = new UpsertAggregator<D.RevenueByProduct, D.ProductTotals.UpstreamKey, long, D.ProductTotals.State, D.ProductTotals, D.ProductTotals.Spec>();
        var board = new UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec>();
        var tee = new Tee<D.RevenueByProduct>(totals, board);
        var upstream = new KeyedAggregator<D.Order, long, D.RevenueByProduct.State, D.RevenueByProduct, D.RevenueByProduct.Spec>(new KeyedAggregatorOptions { InitialCapacity = 16 }, tee);
        var rng = new Random(seed);
        for (var at = 0; at < orders.Length;)
        {
            var n = Math.Min(orders.Length - at, rng.Next(1, 700));
            upstream.Apply(orders.AsSpan(at, n));
            at += n;
            if (rng.Next(40) == 0) AssertDownstreamEqualsGroupBy($"seed {seed} after {at} orders", orders[..at], totals, board);
        }
        AssertDownstreamEqualsGroupBy($"seed {seed}", orders, totals, board);
        // Every product was revised many times on the way (no double count despite it), and once per batch at most.
        var paidProducts = Products(orders).Count;
        Assert.True(tee.Rows >= 3 * paidProducts, $"seed {seed}: only {tee.Rows} rows for {paidProducts} products");
        Assert.Equal(tee.Rows, totals.RowsApplied);
    }

    [Theory]
    [InlineData(4, 50, 30_000)]
    [InlineData(5, 3_000, 50_000)]
    public async Task KeyedUpstream_OnAStreamKernel_FeedsLeaderboardsLive_EqualToGroupBy(int seed, int products, int count)
    {
        output.WriteLine($"seed {seed}");
        var orders = Orders(seed, count, products);
        var totals = new UpsertAggregator<D.RevenueByProduct, D.ProductTotals.UpstreamKey, long, D.ProductTotals.State, D.ProductTotals, D.ProductTotals.Spec>();
        var board = new UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec>();
        var tee = new Tee<D.RevenueByProduct>(totals, board);
        var upstream = new KeyedAggregator<D.Order, long, D.RevenueByProduct.State, D.RevenueByProduct, D.RevenueByProduct.Spec>(new KeyedAggregatorOptions(), tee);
        await using (var kernel = new StreamKernel<D.Order>(new StreamKernelOptions { RingSize = 1 << 10 }))
        {
            // The leaderboards ride on the upstream's handler thread: its change sink feeds them live.
            kernel.AddHandler("revenue", upstream);
            kernel.Start();
            for (var i = 0; i < orders.Length; i++) kernel.Publish(orders[i]);
            await kernel.CompleteAsync();
        }
        AssertDownstreamEqualsGroupBy($"seed {seed}", orders, totals, board);
        Assert.True(tee.Rows >= Products(orders).Count, $"seed {seed}: {tee.Rows} rows");
    }

    [Fact]
    public void RestoredUpstream_ResendsItsRows_AndARestoredDownstreamIsUnchanged_AFreshOneComplete()
    {
        var orders = Orders(6, 20_000, 400);
        var totals = new UpsertAggregator<D.RevenueByProduct, D.ProductTotals.UpstreamKey, long, D.ProductTotals.State, D.ProductTotals, D.ProductTotals.Spec>();
        var board = new UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec>();
        var upstream = new KeyedAggregator<D.Order, long, D.RevenueByProduct.State, D.RevenueByProduct, D.RevenueByProduct.Spec>(new KeyedAggregatorOptions(), new Tee<D.RevenueByProduct>(totals, board));
        upstream.Apply(orders.AsSpan(0, 10_000));
        var upBytes = new System.Buffers.ArrayBufferWriter<byte>();
        upstream.WriteSnapshot(upBytes, Kernel.State.SnapshotScope.Full);
        var boardBytes = new System.Buffers.ArrayBufferWriter<byte>();
        board.WriteSnapshot(boardBytes);

        // The restored leaderboard gets every upstream row again, the same bytes: skipped, state unchanged.
        var board2 = new UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec>();
        board2.RestoreSnapshot(boardBytes.WrittenSpan);
        // A fresh totals table restored with nothing: the re-sent rows make it complete.
        var totals2 = new UpsertAggregator<D.RevenueByProduct, D.ProductTotals.UpstreamKey, long, D.ProductTotals.State, D.ProductTotals, D.ProductTotals.Spec>();
        var upstream2 = new KeyedAggregator<D.Order, long, D.RevenueByProduct.State, D.RevenueByProduct, D.RevenueByProduct.Spec>(new KeyedAggregatorOptions(), new Tee<D.RevenueByProduct>(totals2, board2));
        upstream2.Restore(upBytes.WrittenSpan);
        upstream2.Apply(orders.AsSpan(10_000));
        AssertDownstreamEqualsGroupBy("restored", orders, totals2, board2);
    }

    /// <summary>The audit's probe, hand-derived: day 0 fires at 100, then two allowed-late orders revise it to 200 and 300.</summary>
    [Fact]
    public void WindowedUpstream_OnWindowClose_RevisedByLateOrders_CountsEachDayOnce()
    {
        var revisions = new Recorder<D.DailyRevenue>();
        var days = new UpsertAggregator<D.DailyRevenue, S17DayTotals.UpstreamKey, long, S17DayTotals.State, S17DayTotals, S17DayTotals.Spec>();
        var up = new WindowedAggregator<D.Order, long, D.DailyRevenue.State, D.DailyRevenue, D.DailyRevenue.Spec>(new Tee<D.DailyRevenue>(revisions, days), null,
            new WindowOptions { Emit = EmitMode.OnWindowClose, Clock = new ManualClock() });
        const long day = 86_400_000;
        up.Apply([
            new D.Order { ProductId = 1, PriceCents = 100, Quantity = 1, TimestampMs = 1_000 },
            new D.Order { ProductId = 2, PriceCents = 40, Quantity = 1, TimestampMs = 5_000 },
            // W = t − 10 min − 1 = day + 99,999 ≥ day − 1: day 0 fires (product 1: 100, product 2: 40)
            new D.Order { ProductId = 1, PriceCents = 100, Quantity = 1, TimestampMs = day + 700_000 },
            // late by less than the hour allowed: each revises day 0 of product 1 (200, then 300)
            new D.Order { ProductId = 1, PriceCents = 100, Quantity = 1, TimestampMs = 2_000 },
            new D.Order { ProductId = 1, PriceCents = 100, Quantity = 1, TimestampMs = 3_000 },
        ]);
        Assert.Equal(new[] { 100L, 200, 300 }, revisions.Rows.Where(r => r.Row.ProductId == 1 && r.Row.DayStartMs == 0).Select(r => r.Row.RevenueCents).ToArray());
        Assert.True(days.TryGet(0, out var day0));
        Assert.Equal((340L, 2L), (day0.RevenueCents, day0.Products));   // 300 + 40, not 100 + 200 + 300 + 40
        up.EndOfInput();
        Assert.True(days.TryGet(day, out var day1));
        Assert.Equal((100L, 1L), (day1.RevenueCents, day1.Products));
        Assert.True(days.TryGet(0, out day0));
        Assert.Equal((340L, 2L), (day0.RevenueCents, day0.Products));
    }

    /// <summary>
    /// Random orders over days, mostly in order, some late within the allowed hour (revisions), some later
    /// (dropped): the downstream per day equals a GROUP BY over the upstream's last revision of each
    /// (product, day), taken here from every row it emitted.
    /// </summary>
    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void WindowedUpstream_OnWindowClose_WithLateRevisions_EqualsGroupByOverLastRevisions(int seed)
    {
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        const long day = 86_400_000;
        var orders = new D.Order[30_000];
        var clock = 0L;
        for (var i = 0; i < orders.Length; i++)
        {
            clock += rng.Next(0, 600_000);
            var t = clock;
            var r = rng.Next(20);
            if (r == 0) t -= rng.Next(0, 3_000_000);        // late within the hour's lateness: a revision
            else if (r == 1) t -= rng.Next(0, 8 * 3_600_000); // often too late: dropped
            orders[i] = new D.Order { OrderId = i, ProductId = rng.Next(1, 40), PriceCents = rng.Next(1, 1_000), Quantity = rng.Next(1, 3), TimestampMs = Math.Max(0, t) };
        }
        var revisions = new Recorder<D.DailyRevenue>();
        var days = new UpsertAggregator<D.DailyRevenue, S17DayTotals.UpstreamKey, long, S17DayTotals.State, S17DayTotals, S17DayTotals.Spec>();
        var up = new WindowedAggregator<D.Order, long, D.DailyRevenue.State, D.DailyRevenue, D.DailyRevenue.Spec>(new Tee<D.DailyRevenue>(revisions, days), null,
            new WindowOptions { Emit = EmitMode.OnWindowClose, Clock = new ManualClock() });
        for (var at = 0; at < orders.Length; at += 500) up.Apply(orders.AsSpan(at, 500));
        up.EndOfInput();
        var last = revisions.Rows.GroupBy(r => (r.Row.ProductId, r.Row.DayStartMs)).Select(g => g.MaxBy(r => r.Revision.Revision).Row).ToArray();
        Assert.True(revisions.Rows.Count > last.Length + 50, $"seed {seed}: only {revisions.Rows.Count - last.Length} revisions");
        var expected = last.GroupBy(r => r.DayStartMs).ToDictionary(g => g.Key, g => (Revenue: g.Sum(r => r.RevenueCents), Products: g.LongCount()));
        Assert.Equal(expected.Count, days.Count);
        foreach (var (start, e) in expected)
        {
            Assert.True(days.TryGet(start, out var row), $"seed {seed}: day {start / day} missing");
            Assert.True((row.RevenueCents, row.Products) == e, $"seed {seed}: day {start / day}: ({row.RevenueCents}, {row.Products}) != {e}");
        }
        // And the days are not the sum of every revision (what an appending downstream would give).
        var appended = revisions.Rows.Sum(r => r.Row.RevenueCents);
        Assert.True(appended > expected.Values.Sum(e => e.Revenue), $"seed {seed}: the revisions must make an appending sum differ");
    }
}
