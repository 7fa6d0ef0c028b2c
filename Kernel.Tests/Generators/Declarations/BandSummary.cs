namespace Kernel.Tests.Generators.Declarations;

/// <summary>
/// A third stage: one global row over <see cref="ProductLeaderboard"/>'s rows (themselves upserts over
/// <see cref="RevenueByProduct"/>'s): the best band's revenue, the products over all bands, and the bands.
/// </summary>
[Aggregation(typeof(ProductLeaderboard))]
public partial struct BandSummary
{
    /// <summary>The highest <see cref="ProductLeaderboard.BestRevenueCents"/> over the bands.</summary>
    [Max(nameof(ProductLeaderboard.BestRevenueCents))] public long TopBest;

    /// <summary>Products over all bands.</summary>
    [Sum(nameof(ProductLeaderboard.Products))] public long AllProducts;

    /// <summary>Bands held.</summary>
    [Count] public long Bands;
}
