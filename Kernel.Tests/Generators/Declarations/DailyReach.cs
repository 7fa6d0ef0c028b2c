using Kernel.Sketches;

namespace Kernel.Tests.Generators.Declarations;

/// <summary>Sketches per key and day: distinct customers and a sample of orders per product per daily window.</summary>
[Aggregation(typeof(Order))]
[TumblingWindow("1d")]
public partial struct DailyReach
{
    [Key] public long ProductId;
    [WindowStart] public long DayStartMs;
    [DistinctCount(nameof(Order.CustomerId), Precision = 12)] public long Customers;
    [Sample(4, Seed = 3)] public Reservoir<Order> Sample;
    [Count] public long Orders;
}
