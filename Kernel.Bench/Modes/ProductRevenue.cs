namespace Kernel.Bench.Modes;

/// <summary>Revenue and paid orders by product over the whole input: the batch case's declaration.</summary>
[Aggregation(typeof(ModeOrder))]
[Where(nameof(ModeOrder.IsPaid))]
public partial struct ProductRevenue
{
    /// <summary>The product.</summary>
    [Key] public long ProductId;

    /// <summary>Revenue in cents.</summary>
    [Sum(nameof(ModeOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Paid orders.</summary>
    [Count] public long Orders;
}
