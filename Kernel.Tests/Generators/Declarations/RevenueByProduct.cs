namespace Kernel.Tests.Generators.Declarations;

/// <summary>The keyed aggregation, with every aggregate kind.</summary>
[Aggregation(typeof(Order))]
[Where(nameof(Order.IsPaid))]
public partial struct RevenueByProduct
{
    [Key] public long ProductId;
    [Sum(nameof(Order.RevenueCents))] public long RevenueCents;
    [Count] public long Orders;
    [Min(nameof(Order.PriceCents))] public long Cheapest;
    [Max(nameof(Order.PriceCents))] public long Dearest;
    [Avg(nameof(Order.PriceCents))] public double AvgPrice;
    [First(nameof(Order.OrderId))] public long FirstOrder;
    [Last(nameof(Order.OrderId))] public long LastOrder;
}
