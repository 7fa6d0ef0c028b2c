using Kernel.Operators;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// 0 bytes per event in steady state for the window paths <c>OperatorAllocationTests</c> leaves out:
/// session windows (Final and EveryUpdate) and tumbling windows under Periodic emission, with allowed
/// lateness and 5% of the events out of order.
/// </summary>
public sealed class SessionAndPeriodicAllocationTests
{
    private const long Day = OperatorAllocationTests.Day;

    [Theory]
    [InlineData(WindowKind.Session, EmitMode.Final)]
    [InlineData(WindowKind.Session, EmitMode.EveryUpdate)]
    [InlineData(WindowKind.Tumbling, EmitMode.Periodic)]
    public void SteadyState_AllocatesNothing(WindowKind kind, EmitMode emit)
    {
        var orders = OperatorAllocationTests.Days(40, 20_000, 2_000, seed: 2);
        var sink = new CountingSink();
        var clock = new ManualClock();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = kind == WindowKind.Session
                ? new WindowSpec { Kind = WindowKind.Session, GapMs = 3_600_000 }
                : new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = Day, SlideMs = Day },
            MaxOutOfOrdernessMs = 600_000,
            AllowedLatenessMs = 3_600_000,
            Emit = emit,
            EmitIntervalMs = 1_000,
            Clock = clock,
            InitialCapacity = 4_096,
        });
        // Four tenths of the input to warm up (pools, tables grown, every window kind fired), then a tenth measured.
        var stretch = orders.Length / 10 / 1_000 * 1_000;
        var at = 0;
        for (; at < 4 * stretch; at += 1_000) Step(op, orders.AsSpan(at, 1_000), clock);
        var rowsBefore = sink.Count;
        var allocated = Allocations.SteadyState(() =>
        {
            for (var end = at + stretch; at < end; at += 1_000) Step(op, orders.AsSpan(at, 1_000), clock);
        });
        Assert.True(sink.Count > rowsBefore, "the measured stretch emitted no row");
        Assert.Equal(0, allocated);
    }

    private static void Step(WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> op, ReadOnlySpan<Order> batch, ManualClock clock)
    {
        op.Apply(batch);
        clock.Advance(100);
        op.Tick();
    }
}
