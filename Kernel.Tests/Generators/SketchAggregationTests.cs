using System.Buffers;
using Kernel.Operators;
using Kernel.Sketches;
using Kernel.State;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Generators;

/// <summary>
/// Sketch members of generated aggregations, run through the runtime's operators: distinct counts
/// within HyperLogLog error of the exact count per key, samples drawn from the key's own events,
/// exact top-K over upserted upstream rows, snapshots that carry the sketches, and no allocation
/// per event once the keys exist. Expected values are computed here from the raw events.
/// </summary>
public sealed class SketchAggregationTests
{
    private static KeyedAggregator<Order, long, CustomerReach.State, CustomerReach, CustomerReach.Spec> NewReach()
        => new();

    /// <summary>Product p (1..products) is bought by customers drawn from a pool of p·spread customers.</summary>
    private static Order[] Orders(int seed, int products, int spread, int count)
    {
        var random = new Random(seed);
        var orders = new Order[count];
        for (var i = 0; i < count; i++)
        {
            var product = random.Next(1, products + 1);
            orders[i] = new Order
            {
                OrderId = i,
                ProductId = product,
                CustomerId = product * 1_000_000L + random.Next(product * spread),
                PriceCents = 100 + random.Next(900),
                Quantity = 1,
                TimestampMs = i,
            };
        }
        return orders;
    }

    [Theory]
    [InlineData(1, 12, 400, 200_000)]   // up to 4,800 distinct per product: dense sketches
    [InlineData(2, 30, 3, 5_000)]       // small counts: sparse sketches, essentially exact
    public void DistinctCount_IsWithinHyperLogLogError_OfTheExactCountPerKey(int seed, int products, int spread, int count)
    {
        var orders = Orders(seed, products, spread, count);
        var op = NewReach();
        op.Apply(orders);
        var exact = orders.GroupBy(o => o.ProductId).ToDictionary(g => g.Key, g => g.Select(o => o.CustomerId).Distinct().Count());
        // Precision 14: standard error 1.04/√16384 = 0.81 %; 3 SE, as the HyperLogLog tests use.
        var tolerance = 3 * 1.04 / Math.Sqrt(1 << 14);
        foreach (var (product, distinct) in exact)
        {
            Assert.True(op.TryGet(product, out var row), $"seed {seed}: product {product} missing");
            var error = Math.Abs(row.Customers - distinct) / (double)distinct;
            Assert.True(error <= tolerance, $"seed {seed}: product {product}: estimate {row.Customers}, exact {distinct}, relative error {error:P2} > {tolerance:P2}");
            Assert.Equal(orders.Count(o => o.ProductId == product), row.Orders);
        }
    }

    [Fact]
    public void Sample_HoldsKEventsOfItsOwnKey()
    {
        var orders = Orders(3, 40, 50, 3_000);
        var op = NewReach();
        op.Apply(orders);
        var byProduct = orders.GroupBy(o => o.ProductId).ToDictionary(g => g.Key, g => g.Select(o => o.OrderId).ToHashSet());
        foreach (var row in op.GetRows())
        {
            var own = byProduct[row.ProductId];
            var items = row.Sample.Items.ToArray();
            Assert.Equal(Math.Min(5, own.Count), items.Length);
            Assert.All(items, o => Assert.Equal(row.ProductId, o.ProductId));
            Assert.All(items, o => Assert.Contains(o.OrderId, own));
            Assert.Equal(items.Length, items.Select(o => o.OrderId).Distinct().Count());
            Assert.Equal(own.Count, row.Sample.Seen);
        }
    }

    [Fact]
    public void Sample_IncludesEachEventOfAKeyUniformly()
    {
        // 2,000 products each see the same 50 positions; each product's reservoir has its own seed,
        // so inclusion counts per position over products follow k/N = 5/50. χ²₀.₉₉₉(49) = 85.35.
        const int products = 2_000, perProduct = 50;
        var orders = new Order[products * perProduct];
        for (var i = 0; i < perProduct; i++)
            for (var p = 0; p < products; p++)
                orders[i * products + p] = new Order { OrderId = i, ProductId = p, CustomerId = 1, PriceCents = 1, Quantity = 1 };
        var op = new KeyedAggregator<Order, long, CustomerReach.State, CustomerReach, CustomerReach.Spec>(initialCapacity: products);
        op.Apply(orders);
        var inclusions = new int[perProduct];
        foreach (var row in op.GetRows())
            foreach (var o in row.Sample.Items) inclusions[o.OrderId]++;
        var expected = products * 5.0 / perProduct;
        var chi2 = inclusions.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 < 85.35, $"χ² = {chi2:F1} over positions: [{string.Join(", ", inclusions)}]");
    }

    [Fact]
    public void Snapshot_CarriesTheSketches_AndARestoredOperatorContinuesIdentically()
    {
        var orders = Orders(4, 10, 300, 40_000);
        var original = NewReach();
        original.Apply(orders.AsSpan(0, 20_000));
        var buffer = new ArrayBufferWriter<byte>();
        original.WriteSnapshot(buffer, SnapshotScope.Full);
        var restored = NewReach();
        restored.Restore(buffer.WrittenSpan);
        original.Apply(orders.AsSpan(20_000));
        restored.Apply(orders.AsSpan(20_000));
        Assert.Equal(original.Count, restored.Count);
        foreach (var row in original.GetRows())
        {
            Assert.True(restored.TryGet(row.ProductId, out var other));
            Assert.Equal((row.Customers, row.Orders), (other.Customers, other.Orders));
            Assert.Equal(row.Sample.Items.ToArray(), other.Sample.Items.ToArray());
        }
        var damaged = buffer.WrittenSpan.ToArray();
        damaged[^20] ^= 0x40;   // inside the side state
        Assert.Throws<InvalidDataException>(() => NewReach().Restore(damaged));
    }

    [Fact]
    public void SteadyState_AllocatesNothingPerEvent_OnceTheKeysExist()
    {
        var orders = Orders(5, 50, 200, 100_000);
        var op = NewReach();
        op.Apply(orders);   // keys, sketches (and their dense registers) exist after this
        var allocated = Allocations.SteadyState(() =>
        {
            op.Apply(orders);
        });
        Assert.Equal(0, allocated);
    }

    private static RevenueByProduct[] Revisions(int seed, int products, int count)
    {
        var random = new Random(seed);
        var rows = new RevenueByProduct[count];
        for (var i = 0; i < count; i++)
            rows[i] = new RevenueByProduct { ProductId = random.Next(1, products + 1), RevenueCents = random.Next(0, 1_000), Cheapest = 100 };
        return rows;
    }

    private static (long Key, long Value)[] ExpectedTop(IEnumerable<RevenueByProduct> rows, int k)
    {
        var last = new Dictionary<long, long>();
        foreach (var r in rows) last[r.ProductId] = r.RevenueCents;
        return last.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(k).Select(p => (p.Key, p.Value)).ToArray();
    }

    private static (long Key, long Value)[] Top(UpsertAggregator<RevenueByProduct, TopProducts.UpstreamKey, byte, TopProducts.State, TopProducts, TopProducts.Spec> op)
    {
        Assert.True(op.TryGet(0, out var row));
        var entries = new LeaderboardEntry<long, long>[10];
        var n = row.Top.CopyTop(entries);
        return entries.Take(n).Select(e => (e.Key, e.Value)).ToArray();
    }

    [Theory]
    [InlineData(6, 8, 100)]
    [InlineData(7, 200, 5_000)]
    public void TopK_IsTheExactTopOfTheLatestUpstreamRows(int seed, int products, int revisions)
    {
        var rows = Revisions(seed, products, revisions);
        var op = new UpsertAggregator<RevenueByProduct, TopProducts.UpstreamKey, byte, TopProducts.State, TopProducts, TopProducts.Spec>();
        for (var i = 0; i < rows.Length; i++)
        {
            op.Apply(rows[i]);
            if (i % 37 == 0 || i == rows.Length - 1)
                Assert.Equal(ExpectedTop(rows.Take(i + 1), 10), Top(op));
        }
        Assert.True(op.TryGet(0, out var total));
        Assert.Equal(rows.Select(r => r.ProductId).Distinct().Count(), total.Products);
    }

    [Fact]
    public void TopK_IsRefilledAfterARestore()
    {
        var rows = Revisions(8, 60, 1_000);
        var original = new UpsertAggregator<RevenueByProduct, TopProducts.UpstreamKey, byte, TopProducts.State, TopProducts, TopProducts.Spec>();
        original.Apply(rows.AsSpan(0, 500));
        var buffer = new ArrayBufferWriter<byte>();
        original.WriteSnapshot(buffer);
        var restored = new UpsertAggregator<RevenueByProduct, TopProducts.UpstreamKey, byte, TopProducts.State, TopProducts, TopProducts.Spec>();
        restored.RestoreSnapshot(buffer.WrittenSpan);
        Assert.Equal(Top(original), Top(restored));
        restored.Apply(rows.AsSpan(500));
        Assert.Equal(ExpectedTop(rows, 10), Top(restored));
    }

    [Fact]
    public void TopK_AllocatesNothingPerRevision_OnceTheKeysExist()
    {
        var rows = Revisions(9, 100, 20_000);
        var op = new UpsertAggregator<RevenueByProduct, TopProducts.UpstreamKey, byte, TopProducts.State, TopProducts, TopProducts.Spec>();
        op.Apply(rows);
        var allocated = Allocations.SteadyState(() =>
        {
            op.Apply(rows);
        });
        Assert.Equal(0, allocated);
    }
}
