using Kernel.Operators;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// <see cref="WindowOptions.PreallocatedWindows"/> with sliding windows of many panes (60 panes a window, as
/// <c>sliding-1h-1m</c>): a fresh operator allocates nothing from its first event to the end of input, the
/// pane list and the stacks' lists included (before, the pane list grew 8, 16, 32, 64, 128 and the stacks'
/// lists were allocated at the first fire). Measured on this thread (tests run in parallel).
/// </summary>
public sealed class SlidingPreallocationS17Tests
{
    private const long Minute = 1_000;      // time compressed: one "minute" pane is 1,000 ms
    private const long Hour = 60 * Minute;

    private static Order[] Events(int hours, int perMinute, int products, int seed)
    {
        var rng = new Random(seed);
        var orders = new Order[hours * 60 * perMinute];
        for (var i = 0; i < orders.Length; i++)
        {
            var t = i / perMinute * Minute + (long)(i % perMinute) * (Minute / perMinute);
            if (rng.Next(20) == 0) t -= rng.Next(0, 5 * (int)Minute);   // 5% out of order, inside the bound
            orders[i] = Order.Of(i % products, Math.Max(0, t), rng.Next(1, 1_000), 1, i);   // every key 5 times a minute
        }
        return orders;
    }

    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> Create(CountingSink sink, int preallocated) =>
        new(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = Hour, SlideMs = Minute },
            MaxOutOfOrdernessMs = 10 * Minute, AllowedLatenessMs = 0, Emit = EmitMode.Final, Clock = new ManualClock(),
            InitialCapacity = 256, PreallocatedWindows = preallocated,
        });

    [Fact]
    public void FreshOperator_ManyPanes_AllocatesNothingFromItsFirstEvent()
    {
        var orders = Events(hours: 3, perMinute: 100, products: 20, seed: 17);
        var sink = new CountingSink();
        var warm = Create(sink, 192);                          // JIT and type loading happen here
        warm.Apply(orders);
        warm.EndOfInput();
        WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>? op = null;
        var allocated = Allocations.SteadyState(
            prepare: () => op = Create(sink, 192),
            body: () =>
            {
                for (var i = 0; i < orders.Length; i += 1_000) op!.Apply(orders.AsSpan(i, Math.Min(1_000, orders.Length - i)));
                op!.EndOfInput();
            });
        Assert.Equal(0, allocated);
        // Three hours of one-minute panes: windows starting at −59 … 179 minutes (239), every key in each.
        Assert.Equal(239 * 20, op!.RowsEmitted);
        Assert.Equal(warm.RowsEmitted, op.RowsEmitted);
    }

    /// <summary>The same rows with and without preallocation (the lists only change where the memory comes from).</summary>
    [Fact]
    public void SameRowsWithoutPreallocation()
    {
        var orders = Events(hours: 2, perMinute: 50, products: 10, seed: 5);
        var a = new CountingSink();
        var b = new CountingSink();
        var pre = Create(a, 192);
        var lazy = Create(b, 0);
        for (var i = 0; i < orders.Length; i += 777)
        {
            pre.Apply(orders.AsSpan(i, Math.Min(777, orders.Length - i)));
            lazy.Apply(orders.AsSpan(i, Math.Min(777, orders.Length - i)));
        }
        pre.EndOfInput();
        lazy.EndOfInput();
        Assert.Equal(lazy.RowsEmitted, pre.RowsEmitted);
        Assert.Equal(b.Count, a.Count);
        Assert.Equal(b.Revenue, a.Revenue);
    }
}
