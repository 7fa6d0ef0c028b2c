namespace Kernel.Tests.Generators.Declarations;

/// <summary>A keyed Sum and Count (a 16-byte state): the smallest common aggregation, lined one key per line.</summary>
[Aggregation(typeof(Order))]
public partial struct ProductSumCount
{
    [Key] public long ProductId;
    [Sum(nameof(Order.RevenueCents))] public long RevenueCents;
    [Count] public long Orders;
}
