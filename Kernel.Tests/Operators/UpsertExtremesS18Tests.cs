using Kernel.Operators;
using Xunit.Abstractions;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Operators;

/// <summary>
/// <c>[Min]</c>/<c>[Max]</c> over upserts: a revised or departing row is subtracted without a rebuild when it
/// holds no extreme, or when its replacement in the same key reaches at least as far; only otherwise is the
/// key recomputed from the kept rows (<see cref="UpsertAggregator{TEvent, TUpstreamKey, TKey, TState, TRow, TSpec}.Rebuilds"/>,
/// a scan of every kept row each). Expected rows are written by hand or computed with LINQ over the last row
/// per product, not by the operator.
/// </summary>
public sealed class UpsertExtremesS18Tests(ITestOutputHelper output)
{
    private static D.RevenueByProduct Row(long product, long band, long revenue, long orders = 2, double avgPrice = 1.0)
        => new() { ProductId = product, Cheapest = band, RevenueCents = revenue, Orders = orders, AvgPrice = avgPrice };

    private static UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec> NewBoard() => new();

    [Fact]
    public void Max_IsRebuiltOnlyWhenItsRowIsRevisedBelowIt_OrLeavesTheKey()
    {
        var board = NewBoard();
        // (row, band 100's expected (best, products) or null when gone, band 200's likewise, rebuilds so far)
        var steps = new (D.RevenueByProduct Row, (long, long)? Band100, (long, long)? Band200, long Rebuilds)[]
        {
            (Row(1, 100, 10), (10, 1), null, 0),
            (Row(2, 100, 20), (20, 2), null, 0),
            (Row(1, 100, 15), (20, 2), null, 0),      // 10 was inside the maximum 20: subtracted
            (Row(2, 100, 25), (25, 2), null, 0),      // the maximum's own row, revised up: the fold sets it
            (Row(2, 100, 5), (15, 2), null, 1),       // the maximum's row revised down: rebuilt (p1's 15)
            (Row(1, 200, 15), (5, 1), (15, 1), 2),    // p1 held band 100's maximum and leaves it: rebuilt
            (Row(2, 200, 5), null, (15, 2), 2),       // band 100's last row leaves: removed, nothing to rebuild
            (Row(3, 200, 15), null, (15, 3), 2),
            (Row(1, 200, 3), null, (15, 3), 3),       // 15 was the maximum (p3 holds it too, which only a scan shows)
            (Row(1, 200, 3), null, (15, 3), 3),       // the same row again: skipped
        };
        for (var i = 0; i < steps.Length; i++)
        {
            var (row, band100, band200, rebuilds) = steps[i];
            board.Apply(row);
            Assert.True(rebuilds == board.Rebuilds, $"step {i}: {board.Rebuilds} rebuilds, expected {rebuilds}");
            AssertBand(board, 100, band100, i);
            AssertBand(board, 200, band200, i);
        }
    }

    private static void AssertBand(
        UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec> board,
        long band, (long Best, long Products)? expected, int step)
    {
        var found = board.TryGet(band, out var row);
        Assert.True(found == expected.HasValue, $"step {step}: band {band} present {found}, expected {expected.HasValue}");
        if (found) Assert.True((row.BestRevenueCents, row.Products) == expected!.Value, $"step {step}: band {band} ({row.BestRevenueCents}, {row.Products}), expected {expected}");
    }

    [Fact]
    public void DoubleMax_WithNaN_IsRebuiltRatherThanGuessed()
    {
        var op = new UpsertAggregator<D.RevenueByProduct, D.BandExtremes.UpstreamKey, long, D.BandExtremes.State, D.BandExtremes, D.BandExtremes.Spec>();
        op.Apply(Row(1, 100, 10, avgPrice: 1.0));
        op.Apply(Row(2, 100, 20, avgPrice: double.NaN));
        op.Apply(Row(3, 100, 30, avgPrice: 2.0));
        Assert.True(op.TryGet(100, out var row));
        Assert.True(double.IsNaN(row.BestAvgPrice), "Math.Max propagates NaN");
        Assert.Equal(0, op.Rebuilds);
        op.Apply(Row(2, 100, 20, avgPrice: 3.0));   // replaces the NaN: a compare with NaN proves nothing, so rebuilt
        Assert.True(op.TryGet(100, out row));
        Assert.Equal(3.0, row.BestAvgPrice);
        Assert.Equal(1, op.Rebuilds);
        op.Apply(Row(2, 100, 20, avgPrice: 0.5));   // the maximum's row revised down: rebuilt to p3's 2.0
        Assert.True(op.TryGet(100, out row));
        Assert.Equal(2.0, row.BestAvgPrice);
        Assert.Equal((10L, 30L, 60L, 3L), (row.LowRevenueCents, row.HighRevenueCents, row.RevenueCents, row.Products));
        Assert.Equal(2, op.Rebuilds);
    }

    /// <summary>
    /// Issue 3's leaderboard shape fed live: revenue per product only grows, so a global maximum never needs a
    /// rebuild. Before TryReplace every revision of every product rescanned all kept rows (10,000 products, a
    /// few thousand changed rows a batch: tens of millions of row visits a batch).
    /// </summary>
    [Fact]
    public void LiveGlobalMax_OverGrowingRevenue_NeverRebuilds()
    {
        const int Products = 10_000;
        var top = new UpsertAggregator<D.RevenueByProduct, D.TopRevenue.UpstreamKey, byte, D.TopRevenue.State, D.TopRevenue, D.TopRevenue.Spec>(Products);
        var upstream = new KeyedAggregator<D.Order, long, D.RevenueByProduct.State, D.RevenueByProduct, D.RevenueByProduct.Spec>(
            new KeyedAggregatorOptions { InitialCapacity = Products }, top);
        var random = new Random(18);
        var orders = new D.Order[4096];
        for (var batch = 0; batch < 50; batch++)
        {
            for (var i = 0; i < orders.Length; i++)
            {
                orders[i] = new D.Order
                {
                    OrderId = batch * orders.Length + i,
                    ProductId = random.Next(Products),
                    PriceCents = random.Next(1, 10_000),
                    Quantity = random.Next(1, 5),
                    TimestampMs = batch * 10_000 + i,
                };
            }
            upstream.Apply(orders);
        }
        Assert.True(top.RowsApplied > 100_000, $"{top.RowsApplied} rows fed: the test must revise products many times");
        Assert.Equal(0, top.Rebuilds);
        long best = 0, total = 0, products = 0;
        foreach (var row in upstream.GetRows())
        {
            best = Math.Max(best, row.RevenueCents);
            total += row.RevenueCents;
            products++;
        }
        Assert.True(top.TryGet(0, out var result));
        Assert.Equal((best, total, products), (result.Best, result.Total, result.Products));
    }

    [Theory]
    [InlineData(181, 8, 400)]
    [InlineData(182, 60, 3000)]
    [InlineData(183, 1, 50)]
    public void RandomRevisions_EqualTheAggregationOfTheLastRows(int seed, int products, int revisions)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        long[] bands = [100, 200, 300];
        var bandOp = new UpsertAggregator<D.RevenueByProduct, D.BandExtremes.UpstreamKey, long, D.BandExtremes.State, D.BandExtremes, D.BandExtremes.Spec>();
        var rangeOp = new UpsertAggregator<D.RevenueByProduct, D.RevenueRange.UpstreamKey, byte, D.RevenueRange.State, D.RevenueRange, D.RevenueRange.Spec>();
        var last = new Dictionary<long, D.RevenueByProduct>();
        for (var step = 0; step < revisions; step++)
        {
            var product = random.Next(products);
            // Revisions go up and down, move products between bands, and in and out of BandExtremes' filter.
            var row = Row(product, bands[random.Next(bands.Length)], random.Next(0, 50), random.Next(1, 4), random.Next(0, 20) / 4.0);
            if (last.TryGetValue(product, out var previous) && random.Next(3) == 0)
                row = previous with { RevenueCents = previous.RevenueCents + random.Next(-3, 4) };   // a small step from the last value
            last[product] = row;
            bandOp.Apply(row);
            rangeOp.Apply(row);
            if (step % 7 != 0 && step != revisions - 1) continue;
            var expected = last.Values.Where(r => r.HasOrders).GroupBy(r => r.Cheapest).ToDictionary(g => g.Key, g => new D.BandExtremes
            {
                Band = g.Key,
                LowRevenueCents = g.Min(r => r.RevenueCents),
                HighRevenueCents = g.Max(r => r.RevenueCents),
                BestAvgPrice = g.Max(r => r.AvgPrice),
                RevenueCents = g.Sum(r => r.RevenueCents),
                Products = g.Count(),
            });
            Assert.True(expected.Count == bandOp.Count, $"seed {seed} step {step}: {bandOp.Count} bands held, expected {expected.Count}");
            foreach (var (band, e) in expected)
            {
                Assert.True(bandOp.TryGet(band, out var got), $"seed {seed} step {step}: band {band} missing");
                Assert.True(e.Equals(got), $"seed {seed} step {step}: band {band}: {got} != {e}");
            }
            Assert.True(rangeOp.TryGet(0, out var range), $"seed {seed} step {step}: no global row");
            var want = (last.Values.Min(r => r.RevenueCents), last.Values.Max(r => r.RevenueCents), (long)last.Count);
            Assert.True(want == (range.Low, range.High, range.Products), $"seed {seed} step {step}: range ({range.Low}, {range.High}, {range.Products}) != {want}");
        }
        output.WriteLine($"rebuilds: bands {bandOp.Rebuilds}, range {rangeOp.Rebuilds} of {revisions} rows");
        Assert.True(bandOp.Rebuilds < revisions, $"seed {seed}: every row rebuilt ({bandOp.Rebuilds})");
    }
}
