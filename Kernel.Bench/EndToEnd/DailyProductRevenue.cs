namespace Kernel.Bench.EndToEnd;

/// <summary>
/// "Revenue per day per product": paid orders, daily tumbling windows, a ten-minute watermark bound,
/// one final row per (product, day). The generator emits <c>Spec</c> and <c>State</c>; every case of
/// the headline suite — the operator and the hand-written baselines — folds through them.
/// </summary>
[Aggregation(typeof(HeadlineOrder))]
[Where(nameof(HeadlineOrder.IsPaid))]
[TumblingWindow("1d")]
[Watermark(MaxOutOfOrderness = "10m")]
[Emit(EmitMode.Final)]
public partial struct DailyProductRevenue
{
    /// <summary>Product.</summary>
    [Key] public long ProductId;

    /// <summary>Start of the day, Unix ms.</summary>
    [WindowStart] public long DayStartMs;

    /// <summary>Revenue of the day in cents.</summary>
    [Sum(nameof(HeadlineOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Paid orders of the day.</summary>
    [Count] public long Orders;
}
