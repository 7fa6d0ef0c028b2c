namespace Kernel.Tests.Generators.Declarations;

/// <summary>No key: one global row; a session window.</summary>
[Aggregation(typeof(Order))]
[SessionWindow(Gap = "30m")]
[Emit(EmitMode.EveryUpdate)]
public partial struct GlobalTotals
{
    [Count] public long Orders;
    [Sum(nameof(Order.Quantity))] public long Units;
    [Avg(nameof(Order.Quantity))] public float AvgQuantity;
}
