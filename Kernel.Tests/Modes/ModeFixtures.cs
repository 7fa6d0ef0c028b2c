using Kernel.Operators;
using Kernel.Tests.Generators.Declarations;
using Kernel.Time;

namespace Kernel.Tests.Modes;

/// <summary>Operators over the generated declarations, seeded inputs and a plain GROUP BY oracle.</summary>
internal static class ModeFixtures
{
    public const long Day = 86_400_000;
    public const long Start = 1_700_006_400_000; // a UTC midnight

    public static KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec> Keyed(int capacity = 1024) => new(capacity);

    public static WindowedAggregator<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec> Daily(
        IRowSink<DailyRevenue> sink, EmitMode? emit = null, IClock? clock = null, long intervalMs = 1_000, WindowSpec? window = null, int prealloc = 0, ILateEventSink<Order>? late = null) =>
        new(sink, late, new WindowOptions
        {
            Window = window,
            AllowedLatenessMs = 0,
            IdleTimeoutMs = 0,
            Emit = emit,
            EmitIntervalMs = intervalMs,
            Clock = clock ?? new ManualClock(0),
            PreallocatedWindows = prealloc,
        });

    /// <summary>Orders over <paramref name="days"/> days, in random order when <paramref name="shuffle"/>, with some unpaid ones.</summary>
    public static Order[] Orders(int seed, int count, int products, int days, bool shuffle)
    {
        var rng = new Random(seed);
        var orders = new Order[count];
        for (var i = 0; i < count; i++)
        {
            orders[i] = new Order
            {
                OrderId = i,
                ProductId = rng.Next(products),
                CustomerId = rng.Next(1000),
                PriceCents = rng.Next(10) == 0 ? 0 : rng.Next(1, 10_000),
                Quantity = rng.Next(1, 5),
                TimestampMs = Start + (long)((double)i / count * days * Day),
            };
        }
        if (shuffle) rng.Shuffle(orders);
        return orders;
    }

    /// <summary>In time order with bounded disorder: each order is moved back by up to <paramref name="maxDelayMs"/>.</summary>
    public static Order[] Disordered(int seed, int count, int products, int days, long maxDelayMs)
    {
        var orders = Orders(seed, count, products, days, shuffle: false);
        var rng = new Random(seed + 1);
        // Arrival = time + delay; sort by arrival: an order arrives at most maxDelay after later-stamped ones.
        var arrival = new long[count];
        for (var i = 0; i < count; i++) arrival[i] = orders[i].TimestampMs + rng.NextInt64(maxDelayMs);
        Array.Sort(arrival, orders);
        return orders;
    }

    /// <summary>GROUP BY product: SUM(revenue), COUNT(*), MIN/MAX(price) WHERE price &gt; 0, written plainly.</summary>
    /// <summary>Asserts that a keyed revenue operator holds exactly the rows of <see cref="GroupByProduct"/> over <paramref name="input"/>.</summary>
    public static void AssertKeyedEqualsOracle(KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec> op, IEnumerable<Order> input, string context)
    {
        var oracle = GroupByProduct(input);
        Assert.True(oracle.Count > 0, context);
        Assert.Equal(oracle.Count, op.Count);
        foreach (var (product, expected) in oracle)
        {
            Assert.True(op.TryGet(product, out var row), $"{context}: product {product} missing");
            Assert.Equal(expected, (row.RevenueCents, row.Orders, row.Cheapest, row.Dearest));
        }
    }

    public static Dictionary<long, (long Revenue, long Orders, long Cheapest, long Dearest)> GroupByProduct(IEnumerable<Order> orders)
    {
        var result = new Dictionary<long, (long Revenue, long Orders, long Cheapest, long Dearest)>();
        foreach (var o in orders)
        {
            if (o.PriceCents <= 0) continue;
            var revenue = o.PriceCents * o.Quantity;
            result[o.ProductId] = result.TryGetValue(o.ProductId, out var r)
                ? (r.Revenue + revenue, r.Orders + 1, Math.Min(r.Cheapest, o.PriceCents), Math.Max(r.Dearest, o.PriceCents))
                : (revenue, 1, o.PriceCents, o.PriceCents);
        }
        return result;
    }

    /// <summary>GROUP BY product, UTC day: SUM(revenue), COUNT(*) over every order (DailyRevenue has no [Where]).</summary>
    public static Dictionary<(long Product, long DayStart), (long Revenue, long Orders)> GroupByProductDay(IEnumerable<Order> orders, long windowDays = 1)
    {
        var result = new Dictionary<(long, long), (long Revenue, long Orders)>();
        foreach (var o in orders)
        {
            var day = o.TimestampMs - (o.TimestampMs % Day + Day) % Day;
            for (var w = 0L; w < windowDays; w++)
            {
                var k = (o.ProductId, day - w * Day);
                result.TryGetValue(k, out var r);
                result[k] = (r.Revenue + o.PriceCents * o.Quantity, r.Orders + 1);
            }
        }
        return result;
    }
}

/// <summary>Keeps every row an operator emits.</summary>
internal sealed class DailyRows : IRowSink<DailyRevenue>
{
    public List<(DailyRevenue Row, RowRevision Revision)> Rows { get; } = new();

    public void OnRow(in DailyRevenue row, in RowRevision revision) => Rows.Add((row, revision));

    /// <summary>The final rows as (product, day) → (revenue, orders); fails on a duplicate final row.</summary>
    public Dictionary<(long Product, long DayStart), (long Revenue, long Orders)> Finals()
    {
        var result = new Dictionary<(long, long), (long, long)>();
        foreach (var (row, rev) in Rows)
            if (rev.IsFinal) result.Add((row.ProductId, row.DayStartMs), (row.RevenueCents, row.Orders));
        return result;
    }
}

/// <summary>Counts rows (allocation tests).</summary>
internal sealed class CountingDailySink : IRowSink<DailyRevenue>
{
    public long Count;

    public void OnRow(in DailyRevenue row, in RowRevision revision) => Count++;
}
