using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>An endless-stream stand-in: 100M events over 1,000 simulated days, memory must stay flat.</summary>
public sealed class WindowSoakTests
{
    private const long Day = 86_400_000;

    [Fact]
    [Trait("Category", "Soak")]
    public void HundredMillionEvents_ThousandDays_BoundedMemory()
    {
        const int Days = 1_000;
        const int PerDay = 100_000;
        const int Products = 10_000;
        var sink = new CountingSink();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null,
            new WindowOptions { AllowedLatenessMs = 3_600_000, Clock = new ManualClock(), InitialCapacity = 16_384 });
        var rng = new Random(42);
        var batch = new Order[PerDay / 10];
        long expectedRevenue = 0;
        long memoryAfterWarmup = 0;
        var maxOpen = 0;
        for (var day = 0; day < Days; day++)
        {
            for (var chunk = 0; chunk < 10; chunk++)
            {
                for (var i = 0; i < batch.Length; i++)
                {
                    var n = chunk * batch.Length + i;
                    var t = day * Day + n * (Day / PerDay);
                    if ((n & 31) == 0) t -= 300_000;                       // some out of order, inside the bound
                    var price = rng.Next(1, 1_000);
                    batch[i] = Order.Of(rng.Next(Products), t, price, 1, n);
                    expectedRevenue += price;
                }
                op.Apply(batch);
                maxOpen = Math.Max(maxOpen, op.OpenBuckets);
            }
            if (day == 10) memoryAfterWarmup = GC.GetTotalMemory(forceFullCollection: true);
        }
        var memoryAtEnd = GC.GetTotalMemory(forceFullCollection: true);
        op.EndOfInput();
        Assert.Equal(0, op.LateEvents);
        Assert.Equal(expectedRevenue, sink.Revenue);
        Assert.True(maxOpen <= 3, $"open windows peaked at {maxOpen}");
        Assert.True(memoryAtEnd < memoryAfterWarmup + 8 * 1024 * 1024, $"memory grew from {memoryAfterWarmup} to {memoryAtEnd} bytes");
    }
}
