using Kernel.Operators;
using Kernel.Runtime;
using Kernel.Tests.Runtime;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Generators;

/// <summary>
/// Issue 4's soak on the shipped path: the generated <c>DailyRevenue</c> (1 d, 10 m bound, 1 h lateness, Final)
/// built by its <c>CreateOperator</c> and run as a ring handler of a <see cref="StreamKernel{TEvent}"/>, fed
/// 100M orders over 1,000 simulated days (10M over 100 days in the default run). Memory must stay flat: what the
/// handler's thread allocates after a warm-up (read in the row sink, on that thread), and the windows and
/// entries it holds (read there too). The rows must add up to the orders published.
/// </summary>
public sealed class DeclaredDailyRevenueSoakTests
{
    private const long Day = 86_400_000;
    private const int PerDay = 100_000;
    private const int Products = 10_000;

    [Fact]
    [Trait("Category", "Soak")]
    public Task HundredMillionOrders_ThousandDays_ThroughTheRing_BoundedMemory() => Run(days: 1_000);

    [Fact]
    public Task TenMillionOrders_HundredDays_ThroughTheRing_BoundedMemory() => Run(days: 100);

    private static async Task Run(int days)
    {
        var sink = new WatchingSink();
        await using var kernel = new StreamKernel<D.Order>(new StreamKernelOptions { RingSize = 1 << 14 });
        var op = D.DailyRevenue.CreateOperator(sink);
        sink.Operator = op;
        kernel.AddHandler("daily", op);
        kernel.Start();

        var rng = new Random(42);
        var batch = new D.Order[PerDay / 10];
        long expectedRevenue = 0, expectedRows = 0;
        var keys = new System.Collections.BitArray(days * Products);   // (day, product) pairs with an order: one row each
        for (var day = 0; day < days; day++)
        {
            for (var chunk = 0; chunk < 10; chunk++)
            {
                for (var i = 0; i < batch.Length; i++)
                {
                    var n = chunk * batch.Length + i;
                    var t = day * Day + n * (Day / PerDay);
                    if ((n & 31) == 0 && day > 0) t -= 300_000;   // 5 minutes out of order, inside the declared 10 m bound
                    var product = rng.Next(Products);
                    var price = rng.Next(1, 1_000);
                    batch[i] = new D.Order { OrderId = (long)day * PerDay + n, ProductId = product, PriceCents = price, Quantity = 1, TimestampMs = t };
                    var key = (int)(t / Day) * Products + product;   // a day's first orders, pulled back, count in the day before
                    if (!keys[key]) { keys[key] = true; expectedRows++; }
                    expectedRevenue += price;
                }
                kernel.Publish(batch);
            }
        }
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        Assert.Equal(0, op.LateEvents);
        Assert.Equal(expectedRevenue, sink.Revenue);
        Assert.Equal(expectedRows, sink.Rows);
        Assert.True(sink.MaxOpen <= 3, $"open windows peaked at {sink.MaxOpen}");
        Assert.True(sink.MaxEntries <= 3 * Products, $"entries peaked at {sink.MaxEntries}");
        Assert.True(sink.WarmedUp, "no row of day 10 came: the allocation was never measured");
        // Days 10 on, 0 B per event on the handler's thread: a little bookkeeping at most.
        Assert.True(sink.AllocatedAfterWarmup < 64 * 1024, $"{sink.AllocatedAfterWarmup} bytes allocated on the handler's thread over the {days - 10} days from day 10");
    }

    /// <summary>
    /// Sums the final rows and, on the handler's thread (where rows are emitted), samples the operator's open windows
    /// and entries and the thread's allocation from the first row of day 10 to the last row.
    /// </summary>
    private sealed class WatchingSink : IRowSink<D.DailyRevenue>
    {
        private long _allocatedAtDay10 = -1;

        public WindowedAggregator<D.Order, long, D.DailyRevenue.State, D.DailyRevenue, D.DailyRevenue.Spec>? Operator { get; set; }

        public long Revenue { get; private set; }

        public long Rows { get; private set; }

        public int MaxOpen { get; private set; }

        public long MaxEntries { get; private set; }

        public long AllocatedAfterWarmup { get; private set; }

        public bool WarmedUp => _allocatedAtDay10 >= 0;

        public void OnRow(in D.DailyRevenue row, in RowRevision revision)
        {
            Assert.True(revision.IsFinal);
            Revenue += row.RevenueCents;
            Rows++;
            var day = (int)(row.DayStartMs / Day);
            if (day == 10 && _allocatedAtDay10 < 0) _allocatedAtDay10 = GC.GetAllocatedBytesForCurrentThread();
            if (_allocatedAtDay10 >= 0) AllocatedAfterWarmup = GC.GetAllocatedBytesForCurrentThread() - _allocatedAtDay10;
            var op = Operator!;
            MaxOpen = Math.Max(MaxOpen, op.OpenBuckets);
            MaxEntries = Math.Max(MaxEntries, op.StateEntries);
        }
    }
}
