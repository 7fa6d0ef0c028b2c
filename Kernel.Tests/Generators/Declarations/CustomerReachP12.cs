using Kernel.Sketches;

namespace Kernel.Tests.Generators.Declarations;

/// <summary>
/// <see cref="CustomerReach"/> with a distinct count of precision 12 instead of the default 14: the same members,
/// other sketch settings, so another state fingerprint (a build that changed the precision restores the other's snapshot).
/// </summary>
[Aggregation(typeof(Order))]
public partial struct CustomerReachP12
{
    [Key] public long ProductId;
    [DistinctCount(nameof(Order.CustomerId), Precision = 12)] public long Customers;
    [Sample(5, Seed = 7)] public Reservoir<Order> Sample;
    [Count] public long Orders;
}
