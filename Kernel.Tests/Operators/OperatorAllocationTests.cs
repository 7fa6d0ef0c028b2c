using Kernel.Operators;
using Kernel.Ring;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>Steady state allocates nothing per event (measured on this thread; tests run in parallel).</summary>
public sealed class OperatorAllocationTests
{
    internal const long Day = 86_400_000;

    /// <summary>Orders over <paramref name="days"/> days, evenly spread, 5% out of order inside a 10-minute bound.</summary>
    internal static Order[] Days(int days, int perDay, int products, int seed)
    {
        var rng = new Random(seed);
        var orders = new Order[days * perDay];
        for (var i = 0; i < orders.Length; i++)
        {
            var t = i / perDay * Day + (long)(i % perDay) * (Day / perDay);
            if (rng.Next(20) == 0) t -= rng.Next(0, 600_000);   // 5% out of order, inside the 10-minute bound
            orders[i] = Order.Of(rng.Next(products), t, rng.Next(1, 1_000), 1, i);
        }
        return orders;
    }

    [Fact]
    public void KeyedAggregator_ZeroBytesPerEvent()
    {
        var orders = Days(1, 200_000, 10_000, 1);
        var op = new KeyedAggregator<Order, long, RevenueState, RevenueRow, RevenueSpec>(16_384);
        op.Apply(orders);                                    // warm: every key present
        var entries = orders.Take(1_000).Select(o => new RingEntry<Order> { Event = o }).ToArray();
        op.OnBatch(entries, 0);                              // warm the ring path too: first calls may allocate (type loading)
        var allocated = Allocations.SteadyState(() =>
        {
            for (var r = 0; r < 5; r++)
            {
                for (var i = 0; i < orders.Length; i += 4_096) op.Apply(orders.AsSpan(i, Math.Min(4_096, orders.Length - i)));
                op.OnBatch(entries, 0);
            }
        });
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(EmitMode.Final)]
    [InlineData(EmitMode.OnWindowClose)]
    [InlineData(EmitMode.EveryUpdate)]
    public void DailyTumbling_ZeroBytesPerEvent_InSteadyState(EmitMode emit)
    {
        // 40 days; measure days 20..40, after the pools and tables have grown to their working size.
        var orders = Days(40, 20_000, 2_000, 2);
        var sink = new CountingSink();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null,
            new WindowOptions { Emit = emit, AllowedLatenessMs = 3_600_000, Clock = new ManualClock(), InitialCapacity = 4_096 });
        // Warm up on the first 40%, then measure a fresh stretch of 10% (4 days, ~80,000 events) per
        // attempt (Allocations.SteadyState: the first stretch without a GC counts; a per-event or
        // per-window allocation shows in every stretch, a GC-induced counter jump does not).
        var stretch = orders.Length / 10 / 1_000 * 1_000;
        var at = 0;
        for (; at < 4 * stretch; at += 1_000) op.Apply(orders.AsSpan(at, 1_000));
        var allocated = Allocations.SteadyState(() =>
        {
            for (var end = at + stretch; at < end; at += 1_000) op.Apply(orders.AsSpan(at, 1_000));
        });
        Assert.Equal(0, allocated);
        Assert.True(op.OpenBuckets <= 3, $"open windows {op.OpenBuckets}");
        Assert.True(sink.Count > 0);
    }

    [Fact]
    public void PreallocatedWindows_FreshOperatorAllocatesNothingFromItsFirstEvent()
    {
        var orders = Days(6, 5_000, 500, 4);
        var sink = new CountingSink();
        WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> Create() => new(sink, null,
            new WindowOptions { Clock = new ManualClock(), InitialCapacity = 1_024, PreallocatedWindows = 4 });
        var warm = Create();                                  // JIT and type loading happen here
        warm.Apply(orders);
        warm.EndOfInput();
        WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>? op = null;
        var sinkBefore = 0L;
        // Each attempt measures a fresh operator, built outside the measured window.
        var allocated = Allocations.SteadyState(
            prepare: () => { op = Create(); sinkBefore = sink.Count; },
            body: () =>
            {
                for (var i = 0; i < orders.Length; i += 1_000) op!.Apply(orders.AsSpan(i, 1_000));
                op!.EndOfInput();
            });
        Assert.Equal(0, allocated);
        Assert.Equal(warm.RowsEmitted, op!.RowsEmitted);
        Assert.Equal(sink.Count - sinkBefore, op.RowsEmitted);
    }

    [Fact]
    public void Sliding_ZeroBytesPerEvent_InSteadyState()
    {
        var orders = Days(40, 5_000, 200, 3);
        var sink = new CountingSink();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = Day, SlideMs = Day / 4 },
            Clock = new ManualClock(), InitialCapacity = 256,
        });
        // Warm up on the first half, then measure a fresh tenth (4 days) per attempt.
        var at = orders.Length / 2;
        var stretch = orders.Length / 10;
        op.Apply(orders.AsSpan(0, at));
        var allocated = Allocations.SteadyState(() =>
        {
            op.Apply(orders.AsSpan(at, stretch));
            at += stretch;
        });
        Assert.Equal(0, allocated);
    }
}
