using Kernel;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// Revenue by product with every aggregate kind, compiled by the generator: what <c>aggregate</c>
/// measures against the hand-written Dictionary loop folding the same seven aggregates.
/// </summary>
[Aggregation(typeof(BenchOrder))]
[Where(nameof(BenchOrder.IsPaid))]
public partial struct RevenueByProduct
{
    /// <summary>The product.</summary>
    [Key] public long ProductId;

    /// <summary>Σ price × quantity.</summary>
    [Sum(nameof(BenchOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Paid orders.</summary>
    [Count] public long Orders;

    /// <summary>Lowest price.</summary>
    [Min(nameof(BenchOrder.PriceCents))] public long Cheapest;

    /// <summary>Highest price.</summary>
    [Max(nameof(BenchOrder.PriceCents))] public long Dearest;

    /// <summary>Mean price.</summary>
    [Avg(nameof(BenchOrder.PriceCents))] public double AvgPrice;

    /// <summary>Earliest order by event time.</summary>
    [First(nameof(BenchOrder.OrderId))] public long FirstOrder;

    /// <summary>Latest order by event time.</summary>
    [Last(nameof(BenchOrder.OrderId))] public long LastOrder;
}

/// <summary>The same aggregates per UTC day: what <c>windows</c> measures.</summary>
[Aggregation(typeof(BenchOrder))]
[Where(nameof(BenchOrder.IsPaid))]
[TumblingWindow("1d")]
[Watermark(MaxOutOfOrderness = "10m")]
[Emit(EmitMode.Final)]
public partial struct DailyRevenue
{
    /// <summary>One day in milliseconds.</summary>
    public const long Day = 86_400_000;

    /// <summary>The watermark's bound: ten minutes.</summary>
    public const long MaxOutOfOrderness = 600_000;

    /// <summary>The product.</summary>
    [Key] public long ProductId;

    /// <summary>The day's first millisecond.</summary>
    [WindowStart] public long DayStartMs;

    /// <summary>Σ price × quantity.</summary>
    [Sum(nameof(BenchOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Paid orders.</summary>
    [Count] public long Orders;

    /// <summary>Lowest price.</summary>
    [Min(nameof(BenchOrder.PriceCents))] public long Cheapest;

    /// <summary>Highest price.</summary>
    [Max(nameof(BenchOrder.PriceCents))] public long Dearest;

    /// <summary>Mean price.</summary>
    [Avg(nameof(BenchOrder.PriceCents))] public double AvgPrice;

    /// <summary>Earliest order by event time.</summary>
    [First(nameof(BenchOrder.OrderId))] public long FirstOrder;

    /// <summary>Latest order by event time.</summary>
    [Last(nameof(BenchOrder.OrderId))] public long LastOrder;
}

/// <summary>
/// Issue 4's own declaration, attribute for attribute: revenue and order count per product per UTC day
/// (no filter, Sum and Count only), what <c>daily-as-declared</c> measures.
/// </summary>
[Aggregation(typeof(BenchOrder))]
[TumblingWindow("1d", Offset = "0h")]
[Watermark(MaxOutOfOrderness = "10m", IdleTimeout = "30s")]
[AllowedLateness("1h")]
[Emit(EmitMode.Final)]
public partial struct DeclaredDailyRevenue
{
    /// <summary>The product.</summary>
    [Key] public long ProductId;

    /// <summary>The day's first millisecond.</summary>
    [WindowStart] public long DayStartMs;

    /// <summary>Σ price × quantity.</summary>
    [Sum(nameof(BenchOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Orders.</summary>
    [Count] public long Orders;
}

/// <summary><see cref="DeclaredDailyRevenue"/> without the window: the baseline of <c>daily-as-declared</c>.</summary>
[Aggregation(typeof(BenchOrder))]
public partial struct DeclaredRevenue
{
    /// <summary>The product.</summary>
    [Key] public long ProductId;

    /// <summary>Σ price × quantity.</summary>
    [Sum(nameof(BenchOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Orders.</summary>
    [Count] public long Orders;
}
