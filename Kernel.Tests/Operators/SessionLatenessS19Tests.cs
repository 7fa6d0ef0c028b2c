using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// Session lateness is judged on the session an event ends up in (Flink's rule), not on the event's own
/// [t, t + gap): hand-written sequences (gap 10 ms) with the watermark set by hand.
/// </summary>
public sealed class SessionLatenessS19Tests
{
    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> Sessions(
        RowCollector sink, LateCollector late, EmitMode emit = EmitMode.Final, long lateness = 0) =>
        new(sink, late, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 10 },
            MaxOutOfOrdernessMs = 1_000, AllowedLatenessMs = lateness, Emit = emit, Clock = new ManualClock(),
        });

    [Fact]
    public void EventInsideAnOpenSession_IsNotLate_ThoughItsOwnGapIsPast()
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = Sessions(sink, late);
        op.Apply([Order.Of(1, 0), Order.Of(1, 8), Order.Of(1, 16), Order.Of(1, 20)]);   // one session [0, 30)
        op.AdvanceWatermark(20);                                   // 29 > 20: still open
        op.Apply([Order.Of(1, 5)]);                                // own [5, 15): 14 ≤ 20, but inside [0, 30)
        Assert.Equal(0, op.LateEvents);
        op.EndOfInput();
        Assert.Equal(new[] { "1@0-30:5/500 r0F" }, sink.Lines());
    }

    [Fact]
    public void EventReachingAnOpenSession_ExtendsItBackwards()
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = Sessions(sink, late);
        op.Apply([Order.Of(1, 10), Order.Of(1, 15)]);              // [10, 25)
        op.AdvanceWatermark(20);
        op.Apply([Order.Of(1, 2)]);                                // own [2, 12): 11 ≤ 20, overlaps [10, 25)
        Assert.Equal(0, op.LateEvents);
        op.EndOfInput();
        Assert.Equal(new[] { "1@2-25:3/300 r0F" }, sink.Lines());
    }

    [Fact]
    public void EventOverlappingNoHeldSession_IsLate()
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = Sessions(sink, late);
        op.Apply([Order.Of(1, 10), Order.Of(1, 15)]);              // [10, 25)
        op.AdvanceWatermark(20);
        op.Apply([Order.Of(1, -5)]);                               // own [−5, 5): 4 ≤ 20, ends where [10, 25) starts? no: 5 < 10
        op.Apply([Order.Of(2, 12)]);                               // inside [10, 25), but of another key: own [12, 22), 21 > 20, on time
        op.Apply([Order.Of(3, 0)]);                                // own [0, 10): 9 ≤ 20, key 3 holds nothing: late
        Assert.Equal(2, op.LateEvents);
        Assert.Equal(new[] { (-5L, 20L), (0L, 20L) }, late.Events);
        op.EndOfInput();
        Assert.Equal(new[] { "1@10-25:2/200 r0F", "2@12-22:1/100 r0F" }, sink.Lines().Order());
    }

    [Fact]
    public void FiredSessionWithinLateness_TakesAnEventBehindIt_AndRevises()
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = Sessions(sink, late, EmitMode.OnWindowClose, lateness: 10);
        op.Apply([Order.Of(1, 0), Order.Of(1, 3)]);                // [0, 13)
        op.AdvanceWatermark(15);                                   // 12 ≤ 15: fired; released at 12 + 10 = 22
        Assert.Equal(new[] { "1@0-13:2/200 r0" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, -5)]);                               // own [−5, 5): 4 + 10 = 14 ≤ 15, but reaches [0, 13)
        Assert.Equal(0, op.LateEvents);
        Assert.Equal(new[] { "1@-5-13:3/300 r1" }, sink.Lines());
        sink.Clear();
        op.AdvanceWatermark(22);                                   // released: the final revision
        Assert.Equal(new[] { "1@-5-13:3/300 r2F" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, 1)]);                                // own [1, 11): 20 ≤ 22, nothing held: late
        Assert.Equal(1, op.LateEvents);
        Assert.Empty(sink.Rows);
    }
}
