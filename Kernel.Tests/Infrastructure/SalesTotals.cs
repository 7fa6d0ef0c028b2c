using Kernel.Operators;
using Kernel.Tests.Operators.Specs;

namespace Kernel.Tests.Infrastructure;

/// <summary>
/// Input, oracle and reader of the tests of the unwindowed sales aggregation (<see cref="SalesTotalSpec"/>)
/// under checkpoints, spill and pipelines: skewed orders, the GROUP BY they must end at (computed with a
/// dictionary, not the operator), and the operator's rows in the same order.
/// </summary>
internal static class SalesTotals
{
    /// <summary>Orders over a skewed key set: dense ids in [0, 3000), or sparse ones spread over 2^40.</summary>
    public static Order[] Events(Random rng, int n, bool sparse)
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
    public static List<SalesTotalRow> GroupBy(ReadOnlySpan<Order> events)
    {
        var sums = new Dictionary<long, (long Revenue, long Orders)>();
        foreach (var e in events)
        {
            sums.TryGetValue(e.ProductId, out var s);
            sums[e.ProductId] = (s.Revenue + e.PriceCents * e.Quantity, s.Orders + 1);
        }
        return sums.Select(p => new SalesTotalRow(p.Key, p.Value.Revenue, p.Value.Orders)).OrderBy(r => r.ProductId).ToList();
    }

    /// <summary>The operator's rows (memory and store), ordered by product.</summary>
    public static List<SalesTotalRow> Rows(KeyedAggregator<Order, long, SalesState, SalesTotalRow, SalesTotalSpec> op)
    {
        var rows = new List<SalesTotalRow>();
        foreach (var row in op.GetRows()) rows.Add(row);
        return rows.OrderBy(r => r.ProductId).ToList();
    }
}
