namespace Kernel.Bench.Aggregate;

/// <summary>Pre-generated benchmark input (seeded, so every run sees the same orders).</summary>
public static class OrderData
{
    /// <summary>Orders of the keyed and windowed suites.</summary>
    public const int Count = 20_000_000;

    /// <summary>Distinct products.</summary>
    public const int Products = 10_000;

    /// <summary>Events handed to an operator per call (the "process batches per call").</summary>
    public const int BatchSize = 4_096;

    private const long Day = 86_400_000;

    /// <summary>
    /// <paramref name="days"/> days of orders in time order, with 5% of them delayed by up to
    /// <paramref name="maxDelayMs"/> (out of order, within a watermark bound of that size).
    /// </summary>
    public static BenchOrder[] Generate(int days, long maxDelayMs, int seed = 20260101)
    {
        var rng = new Random(seed);
        var orders = new BenchOrder[Count];
        var perDay = Count / days;
        var step = Day / perDay;
        for (var i = 0; i < orders.Length; i++)
        {
            var t = 1_700_000_000_000L / Day * Day + i / perDay * Day + (i % perDay) * step;
            if (rng.Next(20) == 0) t -= rng.NextInt64(0, maxDelayMs);
            orders[i] = new BenchOrder
            {
                OrderId = i,
                ProductId = rng.Next(Products),
                CustomerId = rng.Next(1_000_000),
                PriceCents = rng.Next(50) == 0 ? 0 : rng.Next(100, 100_000),
                Quantity = rng.Next(1, 5),
                TimestampMs = t,
            };
        }
        return orders;
    }
}
