namespace Kernel.Tests.Generators.Declarations;

/// <summary>An aggregation over another aggregation's rows: the best product revenue seen per cheapest-price band.</summary>
[Aggregation(typeof(RevenueByProduct))]
public partial struct ProductLeaderboard
{
    [Key(nameof(RevenueByProduct.Cheapest))] public long PriceBand;
    [Max(nameof(RevenueByProduct.RevenueCents))] public long BestRevenueCents;
    [Count] public long Products;
}
