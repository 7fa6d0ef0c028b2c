namespace Kernel.Tests.Generators.Declarations;

/// <summary>An average over an integer member without a <c>[Count]</c>: a long sum with a count of its own.</summary>
[Aggregation(typeof(Order))]
public partial struct PriceAverage
{
    [Key] public long ProductId;
    [Avg(nameof(Order.PriceCents))] public double AvgPrice;
}
