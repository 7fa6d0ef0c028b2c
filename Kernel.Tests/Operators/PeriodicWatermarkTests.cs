using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary><see cref="WatermarkAdvance.Periodic"/>: the watermark moves on the interval of processing time, not per record.</summary>
public sealed class PeriodicWatermarkTests
{
    [Fact]
    public void Periodic_TheWatermarkMovesOnlyWhenTheIntervalPasses()
    {
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            WatermarkAdvance = WatermarkAdvance.Periodic,
            WatermarkIntervalMs = 1_000,
            Clock = clock,
        });
        // The event at 15 would move a per-record watermark to 14 and fire [0, 10) at once.
        op.Apply([Order.Of(1, 1), Order.Of(1, 15)]);
        Assert.Empty(sink.Rows);
        clock.Advance(999);
        op.Tick();
        Assert.Empty(sink.Rows);
        clock.Advance(1);
        op.Tick();
        Assert.Equal(new[] { "1@0-10:1/100 r0F" }, sink.Lines());
        Assert.Equal(14, op.Watermark);
    }
}
