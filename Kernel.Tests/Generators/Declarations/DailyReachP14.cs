using Kernel.Sketches;

namespace Kernel.Tests.Generators.Declarations;

/// <summary>
/// <see cref="DailyReach"/> with a distinct count of precision 14 instead of 12: the same members and window,
/// other sketch settings, so another state fingerprint (a build that changed the precision restores the other's snapshot).
/// </summary>
[Aggregation(typeof(Order))]
[TumblingWindow("1d")]
public partial struct DailyReachP14
{
    [Key] public long ProductId;
    [WindowStart] public long DayStartMs;
    [DistinctCount(nameof(Order.CustomerId), Precision = 14)] public long Customers;
    [Sample(4, Seed = 3)] public Reservoir<Order> Sample;
    [Count] public long Orders;
}
