namespace Kernel.Bench.Aggregate;

/// <summary>The output row of the benchmark aggregations.</summary>
public readonly record struct BenchRevenueRow(long ProductId, long WindowStartMs, long RevenueCents, long Orders, double AvgPrice);
