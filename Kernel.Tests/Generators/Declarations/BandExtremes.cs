namespace Kernel.Tests.Generators.Declarations;

/// <summary>
/// Per cheapest-price band, over <see cref="RevenueByProduct"/>'s rows as upserts: the lowest and highest
/// product revenue, the best average price (a <c>double</c> extreme), their sum and the products counted.
/// Only products with an order above 0 count.
/// </summary>
[Aggregation(typeof(RevenueByProduct))]
[Where(nameof(RevenueByProduct.HasOrders))]
public partial struct BandExtremes
{
    /// <summary>The band (the product's cheapest price).</summary>
    [Key(nameof(RevenueByProduct.Cheapest))] public long Band;

    /// <summary>The lowest product revenue in the band.</summary>
    [Min(nameof(RevenueByProduct.RevenueCents))] public long LowRevenueCents;

    /// <summary>The highest product revenue in the band.</summary>
    [Max(nameof(RevenueByProduct.RevenueCents))] public long HighRevenueCents;

    /// <summary>The highest average price in the band.</summary>
    [Max(nameof(RevenueByProduct.AvgPrice))] public double BestAvgPrice;

    /// <summary>The band's revenue.</summary>
    [Sum(nameof(RevenueByProduct.RevenueCents))] public long RevenueCents;

    /// <summary>Products in the band.</summary>
    [Count] public long Products;
}

/// <summary>One global row over <see cref="RevenueByProduct"/>'s rows as upserts: the best and worst product revenue.</summary>
[Aggregation(typeof(RevenueByProduct))]
public partial struct RevenueRange
{
    /// <summary>The lowest product revenue.</summary>
    [Min(nameof(RevenueByProduct.RevenueCents))] public long Low;

    /// <summary>The highest product revenue.</summary>
    [Max(nameof(RevenueByProduct.RevenueCents))] public long High;

    /// <summary>Products counted.</summary>
    [Count] public long Products;
}

/// <summary>One global row over <see cref="RevenueByProduct"/>'s rows as upserts: the best product revenue and the total.</summary>
[Aggregation(typeof(RevenueByProduct))]
public partial struct TopRevenue
{
    /// <summary>The highest product revenue.</summary>
    [Max(nameof(RevenueByProduct.RevenueCents))] public long Best;

    /// <summary>Every product's revenue.</summary>
    [Sum(nameof(RevenueByProduct.RevenueCents))] public long Total;

    /// <summary>Products counted.</summary>
    [Count] public long Products;
}

/// <summary>A filter for <see cref="BandExtremes"/>.</summary>
public partial struct RevenueByProduct
{
    /// <summary>More than one order: the upsert tests' revisions move a product in and out of <see cref="BandExtremes"/> with it.</summary>
    public readonly bool HasOrders => Orders > 1;
}
