using Kernel.Sketches;

namespace Kernel.Tests.Generators.Declarations;

/// <summary>A leaderboard over another aggregation: the top 10 products by revenue, fed RevenueByProduct's rows as upserts.</summary>
[Aggregation(typeof(RevenueByProduct))]
public partial struct TopProducts
{
    [TopK(10, By = nameof(RevenueByProduct.RevenueCents))] public Leaderboard<long, long> Top;
    [Count] public long Products;
}
