using Kernel.Operators;
using Kernel.Tests.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Time;

/// <summary>
/// A source whose watermark moves while it is idle, then comes back: the combined watermark must take that
/// watermark into account on its return (before session 19 it stayed out of the minimum for good).
/// </summary>
public sealed class IdleReturnS19Tests
{
    [Fact]
    public void Tracker_SourceAdvancedWhileIdle_CountsAgainOnItsReturn()
    {
        var t = new WatermarkTracker(1, idleTimeoutMs: 30, nowMs: 0);
        Assert.False(t.CheckIdle(100));            // the only source idle: nothing to combine, W stays
        Assert.True(t.IsIdle(0));
        Assert.False(t.Advance(0, 9_999));         // idle: counts for nothing yet
        Assert.Equal(long.MinValue, t.Current);
        Assert.True(t.MarkActive(0, 300));         // back: its 9,999 is the minimum of the sources not idle
        Assert.Equal(9_999, t.Current);
        Assert.True(t.Advance(0, 19_999));
        Assert.Equal(19_999, t.Current);
    }

    [Fact]
    public void Tracker_ReturnBehindTheOthers_DoesNotMoveOrRegress()
    {
        var t = new WatermarkTracker(2, idleTimeoutMs: 30, nowMs: 0);
        t.Advance(0, 50);
        t.Advance(1, 80);
        Assert.Equal(50, t.Current);
        t.MarkActive(1, 40);
        Assert.True(t.CheckIdle(40));              // source 0 idle: W = 80
        Assert.Equal(80, t.Current);
        Assert.False(t.Advance(0, 60));            // idle source raised, still behind 80
        Assert.False(t.MarkActive(0, 50));         // back behind source 1: W stays at 80, never back to 60
        Assert.Equal(80, t.Current);
        Assert.False(t.MarkActive(0, 60));         // already active: nothing to recompute
        Assert.False(t.Advance(0, 90));            // min(90, 80): source 1 holds W at 80
        Assert.Equal(80, t.Current);
        Assert.True(t.Advance(1, 85));
        Assert.Equal(85, t.Current);
    }

    [Fact]
    public void Tracker_EveryIdleSourceAdvanced_FirstReturnTakesItsOwnWatermark()
    {
        var t = new WatermarkTracker(2, idleTimeoutMs: 10, nowMs: 0);
        t.Advance(0, 5);
        t.Advance(1, 7);
        Assert.False(t.CheckIdle(100));            // both idle: W stays at 5
        Assert.Equal(5, t.Current);
        Assert.False(t.Advance(0, 500));
        Assert.False(t.Advance(1, 300));
        Assert.Equal(5, t.Current);
        Assert.True(t.MarkActive(1, 110));         // only source 1 is not idle: W = 300
        Assert.Equal(300, t.Current);
        Assert.False(t.MarkActive(0, 120));        // both count: min(500, 300) = 300, no move
        Assert.Equal(300, t.Current);
        Assert.True(t.Advance(1, 400));
        Assert.Equal(400, t.Current);
    }

    [Fact]
    public void Operator_AdvanceWatermarkOnIdleSource_ThenEvents_FireWindows()
    {
        // One source, periodic watermarks: the source goes idle between batches, a watermark is set by hand while it
        // is idle, and its next events must still move the watermark and fire the day's window.
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10_000, SlideMs = 10_000 },
            MaxOutOfOrdernessMs = 0, Emit = EmitMode.Final, Clock = clock, Sources = 1, IdleTimeoutMs = 30,
            WatermarkAdvance = WatermarkAdvance.Periodic, WatermarkIntervalMs = 200,
        });
        clock.Advance(100);
        op.Tick();                                 // 100 ms without an event: the source is idle
        Assert.True(op.Sources.IsIdle(0));
        op.AdvanceWatermark(4_999);                // by hand, while idle: counts for nothing yet
        Assert.Equal(long.MinValue, op.Watermark);
        op.OnBatch([new() { Event = Order.Of(1, 5_000) }], 0);   // back: W = 4,999 at once
        Assert.Equal(4_999, op.Watermark);
        op.OnBatch([new() { Event = Order.Of(1, 12_000) }], 1);
        clock.Advance(200);
        op.Tick();                                 // the periodic tick: W = 12,000 − 0 − 1 ≥ 9,999, [0, 10 s) fires
        Assert.Equal(11_999, op.Watermark);
        Assert.Equal(new[] { "1@0-10000:1/100 r0F" }, sink.Lines());
    }

    [Fact]
    public void Tracker_OneSourceEnded_TheOtherIdle_WatermarkStays()
    {
        var t = new WatermarkTracker(2, idleTimeoutMs: 30, nowMs: 0);
        t.Advance(0, 50);
        t.Advance(1, 80);
        Assert.Equal(50, t.Current);
        Assert.False(t.EndOfInput(1));             // source 0 (50) still holds W
        Assert.False(t.CheckIdle(100));            // source 0 idle, source 1 ended: no source left to move W
        Assert.Equal(50, t.Current);               // before session 19: +∞, every window fired
        Assert.False(t.MarkActive(0, 120));
        Assert.True(t.Advance(0, 60));
        Assert.Equal(60, t.Current);
        Assert.True(t.EndOfInput(0));              // every source ended: +∞
        Assert.Equal(long.MaxValue, t.Current);
    }

    [Fact]
    public void Operator_BatchMode_IdleSourceReturnsWithItsNextBatch()
    {
        // Apply feeds source 0; a batch is its activity. Before session 19 batch mode never marked it active, so once
        // idle it held nothing and the periodic watermark never moved again.
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10_000, SlideMs = 10_000 },
            MaxOutOfOrdernessMs = 0, Emit = EmitMode.Final, Clock = clock, IdleTimeoutMs = 30,
            WatermarkAdvance = WatermarkAdvance.Periodic, WatermarkIntervalMs = 200,
        });
        op.Apply([Order.Of(1, 5_000)]);
        clock.Advance(100);
        op.Tick();                                 // 100 ms without a batch: idle
        Assert.True(op.Sources.IsIdle(0));
        op.Apply([Order.Of(1, 12_000)]);           // back
        Assert.False(op.Sources.IsIdle(0));
        clock.Advance(200);
        op.Tick();                                 // the periodic tick: W = 12,000 − 0 − 1, [0, 10 s) fires
        Assert.Equal(11_999, op.Watermark);
        Assert.Equal(new[] { "1@0-10000:1/100 r0F" }, sink.Lines());
    }

    [Fact]
    public void Operator_RestoredWithASourceIdleBehindW_DecidesAsTheUninterruptedOne()
    {
        // Two sources, source 1 idle (and behind W) at the checkpoint. A restored operator must not let source 1 hold
        // W back again: it decides the same rows and late events as the operator that never stopped.
        static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> New(RowCollector sink, ManualClock clock) =>
            new(sink, null, new WindowOptions
            {
                Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 100, SlideMs = 100 },
                MaxOutOfOrdernessMs = 50, Emit = EmitMode.Final, Clock = clock, Sources = 2, IdleTimeoutMs = 100,
            });
        static (long Watermark, long Late, string[] Rows) Finish(WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> op, RowCollector sink)
        {
            op.Apply([Order.Of(1, 1_200)]);        // W = 1,149: [1000, 1100) fires (end − 1 = 1,099)
            op.Apply([Order.Of(2, 1_060)]);        // [1000, 1100) is released: late
            return (op.Watermark, op.LateEvents, sink.Lines());
        }
        var clock = new ManualClock();
        var sink = new RowCollector();
        var op = New(sink, clock);
        op.AdvanceWatermark(0, source: 1);
        op.Apply([Order.Of(1, 1_000)]);            // source 0
        clock.Advance(150);
        op.Apply([Order.Of(1, 1_100)]);
        op.Tick();                                 // source 1 silent for 150 ms: idle; W = 1,100 − 50 − 1 = 1,049
        Assert.Equal(1_049, op.Watermark);
        var snapshot = new System.Buffers.ArrayBufferWriter<byte>();
        op.WriteSnapshot(snapshot);

        var restoredSink = new RowCollector();
        var restored = New(restoredSink, clock);
        restored.RestoreSnapshot(snapshot.WrittenSpan);
        Assert.Equal(1_049, restored.Sources.Current);
        Assert.True(restored.Sources.IsIdle(1));

        var expected = Finish(op, sink);
        Assert.Equal((1_149L, 1L), (expected.Watermark, expected.Late));
        Assert.Equal(new[] { "1@1000-1100:1/100 r0F" }, expected.Rows);   // 1,100 is in [1100, 1200)
        var actual = Finish(restored, restoredSink);
        Assert.Equal((expected.Watermark, expected.Late), (actual.Watermark, actual.Late));
        Assert.Equal(expected.Rows, actual.Rows);
    }
}
