namespace Kernel.Bench.EndToEnd;

/// <summary>
/// "Revenue per product", unwindowed: paid orders folded into one running row per product. The
/// <c>checkpoint</c> suite replays a journal through it to time the keyed operator's replay.
/// </summary>
[Aggregation(typeof(HeadlineOrder))]
[Where(nameof(HeadlineOrder.IsPaid))]
public partial struct ProductTotals
{
    /// <summary>Product.</summary>
    [Key] public long ProductId;

    /// <summary>Revenue in cents.</summary>
    [Sum(nameof(HeadlineOrder.RevenueCents))] public long RevenueCents;

    /// <summary>Paid orders.</summary>
    [Count] public long Orders;
}
