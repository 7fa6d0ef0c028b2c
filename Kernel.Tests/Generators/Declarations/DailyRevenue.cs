namespace Kernel.Tests.Generators.Declarations;

/// <summary>The daily tumbling window with watermark, lateness and emit mode.</summary>
[Aggregation(typeof(Order))]
[TumblingWindow("1d", Offset = "0h")]
[Watermark(MaxOutOfOrderness = "10m", IdleTimeout = "30s")]
[AllowedLateness("1h")]
[Emit(EmitMode.Final)]
public partial struct DailyRevenue
{
    [Key] public long ProductId;
    [WindowStart] public long DayStartMs;
    [WindowEnd] public long DayEndMs;
    [Sum(nameof(Order.RevenueCents))] public long RevenueCents;
    [Count] public long Orders;
}
