using Kernel;

namespace Smoke;

/// <summary>The event: declared here, compiled by the generator shipped in the Kernel package.</summary>
[StreamEvent]
public partial struct Order
{
    public long OrderId;
    public long ProductId;
    public long CustomerId;
    public long PriceCents;
    public int Quantity;

    [EventTime]
    public long TimestampMs;

    public readonly long RevenueCents => PriceCents * Quantity;

    public readonly bool IsPaid => PriceCents > 0;
}

/// <summary>Paid revenue per product.</summary>
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
