namespace Kernel.Tests.Operators.Specs;

/// <summary>The declared row: revenue by product (and window).</summary>
public record struct RevenueRow(
    long ProductId, long WindowStartMs, long WindowEndMs, long RevenueCents, long Orders,
    long Cheapest, long Dearest, double AvgPrice, long FirstOrder, long LastOrder);
