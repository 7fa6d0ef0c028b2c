using Kernel.Sketches;

namespace Kernel.Tests.Generators.Declarations;

/// <summary>Sketch members over events: distinct customers (HyperLogLog) and a uniform sample of orders per product.</summary>
[Aggregation(typeof(Order))]
public partial struct CustomerReach
{
    [Key] public long ProductId;
    [DistinctCount(nameof(Order.CustomerId))] public long Customers;
    [Sample(5, Seed = 7)] public Reservoir<Order> Sample;
    [Count] public long Orders;
}
