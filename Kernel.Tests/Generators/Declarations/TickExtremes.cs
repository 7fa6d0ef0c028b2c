namespace Kernel.Tests.Generators.Declarations;

/// <summary>An event with a <c>decimal</c> and a <c>double</c> value, for extremes whose ties differ in form (1.0m and 1.00m, +0.0 and −0.0).</summary>
[StreamEvent]
public partial struct Tick
{
    /// <summary>The instrument.</summary>
    public long Id;

    /// <summary>A price whose scale shows in its text.</summary>
    public decimal Price;

    /// <summary>A value that may be −0.0.</summary>
    public double D;

    /// <summary>Unix ms.</summary>
    [EventTime] public long T;
}

/// <summary>The highest price and value per instrument.</summary>
[Aggregation(typeof(Tick))]
public partial struct TickMax
{
    /// <summary>The instrument.</summary>
    [Key] public long Id;

    /// <summary>The highest price.</summary>
    [Max(nameof(Tick.Price))] public decimal Price;

    /// <summary>The highest value.</summary>
    [Max(nameof(Tick.D))] public double D;
}

/// <summary>Over <see cref="TickMax"/>'s rows as upserts, one global row of extremes only (no <c>[Count]</c>).</summary>
[Aggregation(typeof(TickMax))]
public partial struct TickExtremes
{
    /// <summary>The highest price over the instruments.</summary>
    [Max(nameof(TickMax.Price))] public decimal BestPrice;

    /// <summary>The highest value.</summary>
    [Max(nameof(TickMax.D))] public double BestD;

    /// <summary>The lowest value.</summary>
    [Min(nameof(TickMax.D))] public double LowD;
}

/// <summary>Per band, over <see cref="RevenueByProduct"/>'s rows as upserts: the best revenue and a top-3 leaderboard (side state beside a <c>[Max]</c>).</summary>
[Aggregation(typeof(RevenueByProduct))]
public partial struct BandTopMax
{
    /// <summary>The band (the product's cheapest price).</summary>
    [Key(nameof(RevenueByProduct.Cheapest))] public long Band;

    /// <summary>The best product revenue in the band.</summary>
    [Max(nameof(RevenueByProduct.RevenueCents))] public long Best;

    /// <summary>The band's three best products by revenue.</summary>
    [TopK(3, By = nameof(RevenueByProduct.RevenueCents))] public Kernel.Sketches.Leaderboard<long, long> Top;
}
