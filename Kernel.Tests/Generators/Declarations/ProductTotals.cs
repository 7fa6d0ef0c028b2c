namespace Kernel.Tests.Generators.Declarations;

/// <summary>
/// An invertible aggregation over another aggregation's rows: products per cheapest-price band with
/// their revenue. Upstream revisions are retracted by subtraction.
/// </summary>
[Aggregation(typeof(RevenueByProduct))]
public partial struct ProductTotals
{
    [Key(nameof(RevenueByProduct.Cheapest))] public long PriceBand;
    [Sum(nameof(RevenueByProduct.RevenueCents))] public long RevenueCents;
    [Count] public long Products;
    [Avg(nameof(RevenueByProduct.Orders))] public double AvgOrders;
}
