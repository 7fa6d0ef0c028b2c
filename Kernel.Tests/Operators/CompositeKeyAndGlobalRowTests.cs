using Kernel.Operators;
using Kernel.Time;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Operators;

/// <summary>
/// Declarations with several <c>[Key]</c> members and with none, run through the operators (the
/// generator's tests check their specs alone).
/// </summary>
public sealed class CompositeKeyAndGlobalRowTests
{
    [Fact]
    public void CompositeKey_ThroughKeyedAggregator_EqualsGroupBy()
    {
        const int Seed = 5;
        var rng = new Random(Seed);
        var orders = new D.Order[5_000];
        for (var i = 0; i < orders.Length; i++)
        {
            orders[i] = new D.Order
            {
                OrderId = i, CustomerId = rng.Next(20), ProductId = rng.Next(30),
                PriceCents = rng.Next(1, 100), Quantity = rng.Next(1, 9), TimestampMs = i,
            };
        }
        var op = new KeyedAggregator<D.Order, D.CustomerProductRevenue.Key, D.CustomerProductRevenue.State, D.CustomerProductRevenue, D.CustomerProductRevenue.Spec>(16);
        op.Apply(orders);

        var expected = orders.GroupBy(o => (o.CustomerId, o.ProductId))
            .ToDictionary(g => g.Key, g => (Units: g.Sum(o => (long)o.Quantity), Largest: g.Max(o => o.Quantity)));
        Assert.Equal(expected.Count, op.Count);
        foreach (var ((customer, product), e) in expected)
        {
            Assert.True(op.TryGet(new D.CustomerProductRevenue.Key(customer, product), out var row), $"seed {Seed}: ({customer}, {product}) missing");
            Assert.Equal((customer, product), (row.Customer, row.Product));
            Assert.Equal((e.Units, e.Largest), (row.Units, row.LargestQuantity));
        }
        // (customer, product) and (product, customer) are different keys: with 20 customers and 30 products
        // some swapped pairs exist in the input, and each keeps its own row.
        Assert.Contains(expected.Keys, k => k.CustomerId != k.ProductId && expected.ContainsKey((k.ProductId, k.CustomerId)));
    }

    [Fact]
    public void GlobalRow_ThroughWindowedAggregator_OneRowPerSession()
    {
        var rows = new List<(D.GlobalTotals Row, RowRevision Revision)>();
        var op = new WindowedAggregator<D.Order, byte, D.GlobalTotals.State, D.GlobalTotals, D.GlobalTotals.Spec>(
            new ListSink(rows), null, new WindowOptions { Clock = new ManualClock() });
        // Sessions with a 30-minute gap, whatever the product: the first two orders (1 minute apart) are one
        // session, the third (about 2.8 hours later) another.
        op.Apply([
            new D.Order { ProductId = 1, Quantity = 2, PriceCents = 1, TimestampMs = 0 },
            new D.Order { ProductId = 2, Quantity = 4, PriceCents = 1, TimestampMs = 60_000 },
            new D.Order { ProductId = 3, Quantity = 6, PriceCents = 1, TimestampMs = 10_000_000 },
        ]);
        op.EndOfInput();
        var finals = rows.Where(r => r.Revision.IsFinal).Select(r => (r.Row.Orders, r.Row.Units, r.Row.AvgQuantity)).ToArray();
        Assert.Equal(new[] { (2L, 6L, 3f), (1L, 6L, 6f) }, finals);
        // EveryUpdate: a row after each event too, the running totals of the one global key.
        Assert.Equal(new[] { (1L, 2L), (2L, 6L), (1L, 6L) }, rows.Where(r => !r.Revision.IsFinal).Select(r => (r.Row.Orders, r.Row.Units)).ToArray());
    }

    private sealed class ListSink(List<(D.GlobalTotals, RowRevision)> rows) : IRowSink<D.GlobalTotals>
    {
        public void OnRow(in D.GlobalTotals row, in RowRevision revision) => rows.Add((row, revision));
    }
}
