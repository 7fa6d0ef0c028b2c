namespace Kernel.Bench.EndToEnd;

/// <summary>Pre-generated input of the headline job (seeded: every run and every case sees the same orders).</summary>
public static class HeadlineData
{
    /// <summary>Distinct products.</summary>
    public const int Products = 10_000;

    /// <summary>Days of orders.</summary>
    public const int Days = 10;

    /// <summary>One day in milliseconds.</summary>
    public const long Day = 86_400_000;

    /// <summary>The declared watermark bound (ten minutes): out-of-order orders are delayed by less.</summary>
    public const long MaxOutOfOrderness = 600_000;

    /// <summary>
    /// <paramref name="count"/> orders spread evenly over <see cref="Days"/> days in time order, 5% of
    /// them delayed by up to the watermark bound (so out of order but never late), 2% unpaid.
    /// </summary>
    public static HeadlineOrder[] Generate(int count, int seed = 20261130)
    {
        var rng = new Random(seed);
        var orders = new HeadlineOrder[count];
        var step = Days * Day / count;
        var origin = 1_700_000_000_000L / Day * Day;
        for (var i = 0; i < orders.Length; i++)
        {
            var t = origin + i * step;
            if (rng.Next(20) == 0) t -= rng.NextInt64(0, MaxOutOfOrderness);
            orders[i] = new HeadlineOrder
            {
                OrderId = i,
                ProductId = rng.Next(Products),
                PriceCents = rng.Next(50) == 0 ? 0 : rng.Next(100, 100_000),
                Quantity = rng.Next(1, 5),
                TimestampMs = t,
            };
        }
        return orders;
    }
}
