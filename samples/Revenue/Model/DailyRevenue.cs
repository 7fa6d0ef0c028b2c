using Kernel;

namespace Revenue.Model;

/// <summary>
/// The headline declaration: total revenue per UTC day per product, in event time. Stream, batch
/// and replay all run this one declaration; the CLI's --out-of-orderness and --lateness override
/// the declared defaults at run time.
/// </summary>
[Aggregation(typeof(Order))]
[TumblingWindow("1d")]
[Watermark(MaxOutOfOrderness = "10m")]
[AllowedLateness("1h")]
[Emit(EmitMode.Final)]
public partial struct DailyRevenue
{
    /// <summary>The product.</summary>
    [Key] public long ProductId;

    /// <summary>The day's first millisecond (UTC midnight).</summary>
    [WindowStart] public long DayStartMs;

    /// <summary>Σ price × quantity over the day's counted orders.</summary>
    [Sum(nameof(Order.RevenueCents))] public long RevenueCents;

    /// <summary>How many orders were counted.</summary>
    [Count] public long Orders;
}
