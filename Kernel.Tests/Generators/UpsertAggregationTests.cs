using System.Buffers;
using Kernel.Operators;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Generators;

/// <summary>
/// An aggregation over another aggregation's rows consumes them as upserts: after any sequence of
/// revisions its rows equal the same aggregation over the final upstream rows only. The expected
/// rows are computed here with LINQ over the last row per product, independently of the operator.
/// </summary>
public sealed class UpsertAggregationTests
{
    private static readonly long[] s_bands = [100, 200, 300, 400];

    private static RevenueByProduct[] Revisions(int seed, int products, int count)
    {
        var random = new Random(seed);
        var rows = new RevenueByProduct[count];
        for (var i = 0; i < count; i++)
        {
            rows[i] = new RevenueByProduct
            {
                ProductId = random.Next(1, products + 1),
                Cheapest = s_bands[random.Next(s_bands.Length)],   // a revision may move the product to another band
                RevenueCents = random.Next(0, 100_000),            // and may go down (refunds)
                Orders = random.Next(1, 50),
            };
        }
        return rows;
    }

    private static Dictionary<long, RevenueByProduct> FinalRows(IEnumerable<RevenueByProduct> rows)
    {
        var last = new Dictionary<long, RevenueByProduct>();
        foreach (var r in rows) last[r.ProductId] = r;
        return last;
    }

    [Theory]
    [InlineData(1, 5, 40)]
    [InlineData(2, 60, 1000)]
    [InlineData(3, 1, 20)]
    public void InvertibleAggregation_EqualsTheAggregationOfTheFinalRows(int seed, int products, int revisions)
    {
        var rows = Revisions(seed, products, revisions);
        var op = new UpsertAggregator<RevenueByProduct, ProductTotals.UpstreamKey, long, ProductTotals.State, ProductTotals, ProductTotals.Spec>();
        op.Apply(rows);
        var expected = FinalRows(rows).Values
            .GroupBy(r => r.Cheapest)
            .ToDictionary(g => g.Key, g => new ProductTotals
            {
                PriceBand = g.Key,
                RevenueCents = g.Sum(r => r.RevenueCents),
                Products = g.Count(),
                AvgOrders = g.Average(r => (double)r.Orders),
            });
        Assert.True(expected.Count == op.Count, $"seed {seed}: {op.Count} bands held, expected {expected.Count}");
        foreach (var band in s_bands)
        {
            var found = op.TryGet(band, out var row);
            Assert.True(found == expected.ContainsKey(band), $"seed {seed}: band {band} presence");
            if (found) Assert.True(expected[band].Equals(row), $"seed {seed}: band {band}: {row} != {expected[band]}");
        }
        Assert.Equal(FinalRows(rows).Count, op.UpstreamRows);
    }

    [Theory]
    [InlineData(4, 5, 60)]
    [InlineData(5, 40, 800)]
    public void MaxAggregation_IsRebuilt_WhenTheExtremeIsReplaced(int seed, int products, int revisions)
    {
        var rows = Revisions(seed, products, revisions);
        var op = new UpsertAggregator<RevenueByProduct, ProductLeaderboard.UpstreamKey, long, ProductLeaderboard.State, ProductLeaderboard, ProductLeaderboard.Spec>();
        Assert.False(ProductLeaderboard.Spec.Invertible);
        for (var i = 0; i < rows.Length; i++)
        {
            op.Apply(rows[i]);
            if (i % 17 != 0) continue;
            // Checked along the way too: a stale maximum would show up right after its row is revised down.
            var expected = FinalRows(rows.Take(i + 1)).Values.GroupBy(r => r.Cheapest).ToDictionary(g => g.Key, g => (Best: g.Max(r => r.RevenueCents), N: (long)g.Count()));
            Assert.Equal(expected.Count, op.Count);
            foreach (var (band, e) in expected)
            {
                Assert.True(op.TryGet(band, out var row), $"seed {seed} step {i}: band {band} missing");
                Assert.True(e == (row.BestRevenueCents, row.Products), $"seed {seed} step {i}: band {band}: ({row.BestRevenueCents}, {row.Products}) != {e}");
            }
        }
    }

    [Fact]
    public void FedEveryRevisionOfALiveUpstream_EqualsFedOnlyItsFinalRows()
    {
        var random = new Random(77);
        var upstream = new KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>();
        var everyRevision = new UpsertAggregator<RevenueByProduct, ProductTotals.UpstreamKey, long, ProductTotals.State, ProductTotals, ProductTotals.Spec>();
        var orders = new Order[50];
        var revisionsFed = 0;
        for (var batch = 0; batch < 40; batch++)
        {
            for (var i = 0; i < orders.Length; i++)
            {
                orders[i] = new Order
                {
                    OrderId = batch * 100 + i,
                    ProductId = random.Next(1, 30),
                    PriceCents = random.Next(-50, 500),   // some unpaid orders, filtered upstream
                    Quantity = random.Next(1, 4),
                    TimestampMs = batch * 1000 + i,
                };
            }
            upstream.Apply(orders);
            // Every key's current row is re-sent after each batch: most are revisions of rows already sent.
            foreach (var row in upstream.GetRows())
            {
                everyRevision.Apply(row);
                revisionsFed++;
            }
        }
        var finalOnly = new UpsertAggregator<RevenueByProduct, ProductTotals.UpstreamKey, long, ProductTotals.State, ProductTotals, ProductTotals.Spec>();
        var finalRows = new List<RevenueByProduct>();
        foreach (var row in upstream.GetRows()) finalRows.Add(row);
        finalOnly.Apply(finalRows.ToArray());
        Assert.True(revisionsFed > 3 * finalRows.Count, "the test must feed several revisions per product");
        var expectedTotal = finalRows.Sum(r => r.RevenueCents);
        long total = 0;
        foreach (var row in everyRevision.GetRows())
        {
            Assert.True(finalOnly.TryGet(row.PriceBand, out var other));
            Assert.Equal(other, row);
            total += row.RevenueCents;
        }
        Assert.Equal(finalOnly.Count, everyRevision.Count);
        Assert.Equal(expectedTotal, total);
    }

    [Fact]
    public void Snapshot_RestoresRowsAndKeptRevisions()
    {
        var rows = Revisions(9, 30, 400);
        var original = new UpsertAggregator<RevenueByProduct, ProductLeaderboard.UpstreamKey, long, ProductLeaderboard.State, ProductLeaderboard, ProductLeaderboard.Spec>();
        original.Apply(rows.AsSpan(0, 200));
        var buffer = new ArrayBufferWriter<byte>();
        original.WriteSnapshot(buffer);
        var restored = new UpsertAggregator<RevenueByProduct, ProductLeaderboard.UpstreamKey, long, ProductLeaderboard.State, ProductLeaderboard, ProductLeaderboard.Spec>();
        restored.RestoreSnapshot(buffer.WrittenSpan);
        original.Apply(rows.AsSpan(200));
        restored.Apply(rows.AsSpan(200));
        Assert.Equal(original.Count, restored.Count);
        foreach (var row in original.GetRows())
        {
            Assert.True(restored.TryGet(row.PriceBand, out var other));
            Assert.Equal(row, other);
        }
        var damaged = buffer.WrittenSpan.ToArray();
        damaged[30] ^= 1;
        Assert.Contains("CRC-32C", Assert.Throws<InvalidDataException>(() => restored.RestoreSnapshot(damaged)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revisions_AllocateNothing_OnceTheKeysExist()
    {
        var rows = Revisions(11, 50, 5000);
        var op = new UpsertAggregator<RevenueByProduct, ProductTotals.UpstreamKey, long, ProductTotals.State, ProductTotals, ProductTotals.Spec>();
        op.Apply(rows);
        var allocated = Allocations.SteadyState(() =>
        {
            op.Apply(rows);
        });
        Assert.Equal(0, allocated);
    }
}
