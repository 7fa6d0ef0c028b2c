using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// An endless-stream stand-in: 100M events over 1,000 simulated days, memory must stay flat. Measured
/// by what this thread allocates after a warm-up (the operator runs on it and starts no thread), an
/// upper bound of the heap it can have grown, and by the windows and entries held; not by process
/// memory, which tests running in parallel move.
/// </summary>
public sealed class WindowSoakTests
{
    private const long Day = 86_400_000;

    [Fact]
    [Trait("Category", "Soak")]
    public void HundredMillionEvents_ThousandDays_BoundedMemory() => Run(days: 1_000);

    /// <summary>The same at a tenth of the length (10M events, 100 days), in the default run: what CI checks every time.</summary>
    [Fact]
    public void TenMillionEvents_HundredDays_BoundedMemory() => Run(days: 100);

    private static void Run(int days)
    {
        const int PerDay = 100_000;
        const int Products = 10_000;
        var sink = new CountingSink();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null,
            new WindowOptions { AllowedLatenessMs = 3_600_000, Clock = new ManualClock(), InitialCapacity = 16_384 });
        var rng = new Random(42);
        var batch = new Order[PerDay / 10];
        long expectedRevenue = 0;
        long allocatedAfterWarmup = 0;
        var maxOpen = 0;
        long maxEntries = 0;
        for (var day = 0; day < days; day++)
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
                maxEntries = Math.Max(maxEntries, op.StateEntries);
            }
            if (day == 10) allocatedAfterWarmup = GC.GetAllocatedBytesForCurrentThread();
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedAfterWarmup;
        op.EndOfInput();
        Assert.Equal(0, op.LateEvents);
        Assert.Equal(expectedRevenue, sink.Revenue);
        Assert.True(maxOpen <= 3, $"open windows peaked at {maxOpen}");
        Assert.True(maxEntries <= 3 * Products, $"entries peaked at {maxEntries}");
        // (days − 11) × 100k events after the warm-up: 0 B/event (measured: 0 bytes in all), so at most a little bookkeeping.
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated over {days - 11} days after the warm-up");
    }
}
