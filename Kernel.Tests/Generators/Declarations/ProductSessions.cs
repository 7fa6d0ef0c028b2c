namespace Kernel.Tests.Generators.Declarations;

/// <summary>Paid orders per product and session (30 minutes of quiet end one), emitted once each session is complete.</summary>
[Aggregation(typeof(Order))]
[Where(nameof(Order.IsPaid))]
[SessionWindow(Gap = "30m")]
[Emit(EmitMode.Final)]
public partial struct ProductSessions
{
    [Key] public long ProductId;
    [WindowStart] public long SessionStartMs;
    [Count] public long Orders;
}

/// <summary>Over <see cref="ProductSessions"/>' rows: each product's sessions and the orders in them.</summary>
[Aggregation(typeof(ProductSessions))]
public partial struct SessionTotals
{
    [Key] public long ProductId;
    [Count] public long Sessions;
    [Sum(nameof(ProductSessions.Orders))] public long Orders;
}
