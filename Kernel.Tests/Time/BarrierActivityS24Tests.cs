using Kernel.Operators;
using Kernel.Ring;
using Kernel.Tests.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Time;

/// <summary>
/// docs/event-time.md: a source is idle after the idle timeout without entries of its own, "events, watermarks;
/// checkpoint barriers are not a source's". Periodic checkpoints must not keep a silent source from going idle.
/// </summary>
public sealed class BarrierActivityS24Tests
{
    [Fact]
    public void ABarrierCarryingTheSourcesId_DoesNotKeepItFromGoingIdle()
    {
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            MaxOutOfOrdernessMs = 0, Emit = EmitMode.Final, Clock = clock, Sources = 2, IdleTimeoutMs = 30,
        });
        op.OnBatch(
        [
            new() { Event = Order.Of(1, 5), SourceId = 0 },
            new() { Event = Order.Of(2, 25), SourceId = 1 },
        ], 0);
        Assert.Equal(4, op.Watermark);             // min(5 − 1, 25 − 1)
        clock.Advance(20);
        op.OnBatch(
        [
            new() { Kind = EntryKind.Barrier, SourceId = 0, Value = 1 },
            new() { Kind = EntryKind.Watermark, SourceId = 1, Value = 24 },
        ], 2);
        clock.Advance(20);

        op.Tick();                                 // source 0 silent for 40 ms (the barrier is not its activity), source 1 for 20

        Assert.True(op.Sources.IsIdle(0));
        Assert.False(op.Sources.IsIdle(1));
        Assert.Equal(24, op.Watermark);            // source 1 alone holds W: [0, 10) fires
        Assert.Equal(new[] { "1@0-10:1/100 r0F" }, sink.Lines());
    }
}
