using Kernel.Bench.Aggregate;

namespace Kernel.Bench.Windows;

/// <summary>Revenue per product over the last hour, every minute: the sliding case of <c>windows</c>.</summary>
[Aggregation(typeof(BenchOrder))]
[Where(nameof(BenchOrder.IsPaid))]
[SlidingWindow("1h", Slide = "1m")]
[Watermark(MaxOutOfOrderness = "10m")]
[Emit(EmitMode.Final)]
public partial struct HourlyRevenueEveryMinute
{
    /// <summary>The product.</summary>
    [Key] public long ProductId;

    /// <summary>The window's first millisecond.</summary>
    [WindowStart] public long StartMs;

    /// <summary>Σ price × quantity.</summary>
    [Sum(nameof(BenchOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Paid orders.</summary>
    [Count] public long Orders;
}

/// <summary>The same with slide = size (1h/1h): the sliding case's baseline.</summary>
[Aggregation(typeof(BenchOrder))]
[Where(nameof(BenchOrder.IsPaid))]
[SlidingWindow("1h", Slide = "1h")]
[Watermark(MaxOutOfOrderness = "10m")]
[Emit(EmitMode.Final)]
public partial struct HourlyRevenue
{
    /// <summary>The product.</summary>
    [Key] public long ProductId;

    /// <summary>The window's first millisecond.</summary>
    [WindowStart] public long StartMs;

    /// <summary>Σ price × quantity.</summary>
    [Sum(nameof(BenchOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Paid orders.</summary>
    [Count] public long Orders;
}
