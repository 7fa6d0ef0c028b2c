using Kernel.Bench.Quick;

namespace Kernel.Bench.Modes;

/// <summary>The suite's input: 20M orders (scaled) over 10,000 products, in time order, seeded.</summary>
public static class ModeData
{
    /// <summary>Products in the input.</summary>
    public const int Products = 10_000;

    /// <summary>Events per call into the operator and the baselines' loop.</summary>
    public const int BatchSize = 1024;

    /// <summary>Generates <c>QuickSettings.Scaled(20M)</c> orders.</summary>
    public static ModeOrder[] Generate(int seed = 20261130)
    {
        var count = (int)QuickSettings.Scaled(20_000_000, minimum: 100_000);
        var rng = new Random(seed);
        var orders = new ModeOrder[count];
        for (var i = 0; i < orders.Length; i++)
        {
            orders[i] = new ModeOrder
            {
                OrderId = i,
                ProductId = rng.Next(Products),
                PriceCents = rng.Next(50) == 0 ? 0 : rng.Next(100, 100_000),
                Quantity = rng.Next(1, 5),
                TimestampMs = 1_700_000_000_000L + i,
            };
        }
        return orders;
    }
}
