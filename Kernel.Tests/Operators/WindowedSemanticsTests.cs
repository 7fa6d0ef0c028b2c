using Kernel.Operators;
using Kernel.Ring;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// Hand-written event sequences with hand-derived expected rows. Windows are small (size 10 ms) so
/// the arithmetic can be checked by eye; each expectation states the watermark that explains it.
/// </summary>
public sealed class WindowedSemanticsTests
{
    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> Tumbling(
        RowCollector sink, EmitMode emit, long lateness = 0, long ooo = 0, long offset = 0, LateCollector? late = null,
        IClock? clock = null, int sources = 1, long idle = 0, long interval = 0) =>
        new(sink, late, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10, OffsetMs = offset },
            MaxOutOfOrdernessMs = ooo, AllowedLatenessMs = lateness, Emit = emit, EmitIntervalMs = interval,
            Clock = clock ?? new ManualClock(), Sources = sources, IdleTimeoutMs = idle,
        });

    private static void Feed(WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> op, params long[] times)
    {
        foreach (var t in times) op.Apply([Order.Of(1, t)]);
    }

    [Fact]
    public void Fires_ExactlyWhenWatermarkReachesEndMinusOne()
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = Tumbling(sink, EmitMode.Final, late: late);
        Feed(op, 0, 5, 9);
        Assert.Equal(8, op.Watermark);             // W = 9 − 0 − 1 = 8 < end − 1 = 9: not yet
        Assert.Empty(sink.Rows);
        Feed(op, 10);                              // W = 9 = end − 1: fires
        Assert.Equal(new[] { "1@0-10:3/300 r0F" }, sink.Lines());
        Feed(op, 9);                               // end − 1 + 0 = 9 ≤ W = 9: late
        Assert.Equal(1, op.LateEvents);
        Assert.Equal(new[] { (9L, 9L) }, late.Events);
        op.EndOfInput();
        Assert.Equal(new[] { "1@0-10:3/300 r0F", "1@10-20:1/100 r0F" }, sink.Lines());
        Assert.Equal(long.MaxValue, op.Watermark);
        Assert.Equal(0, op.OpenBuckets);
    }

    [Fact]
    public void OutOfOrderness_DelaysFiring_ByTheBound()
    {
        var sink = new RowCollector();
        var op = Tumbling(sink, EmitMode.Final, ooo: 5);
        Feed(op, 1, 12, 14);                       // W = 14 − 5 − 1 = 8
        Assert.Empty(sink.Rows);
        Feed(op, 7);                               // out of order, but W = 8 < 9: still counted
        Feed(op, 15);                              // W = 9: [0,10) fires with 2 events
        Assert.Equal(new[] { "1@0-10:2/200 r0F" }, sink.Lines());
        Assert.Equal(0, op.LateEvents);
    }

    [Fact]
    public void OnWindowClose_RevisesPerAllowedLateEvent_UntilLatenessExactlyAtLimit()
    {
        var sink = new RowCollector();
        var op = Tumbling(sink, EmitMode.OnWindowClose, lateness: 5);
        Feed(op, 0, 10);                           // W = 9: fires, not final (lateness 5)
        Assert.Equal(new[] { "1@0-10:1/100 r0" }, sink.Lines());
        Feed(op, 3);                               // 9 + 5 = 14 > W = 9: allowed, revision 1
        Feed(op, 14);                              // W = 13
        Feed(op, 4);                               // 14 > 13: allowed, revision 2
        Feed(op, 15);                              // W = 14 = end − 1 + lateness: window released with a final row
        Feed(op, 5);                               // 14 ≤ 14: late
        Assert.Equal(new[] { "1@0-10:1/100 r0", "1@0-10:2/200 r1", "1@0-10:3/300 r2", "1@0-10:3/300 r3F" }, sink.Lines());
        Assert.Equal(1, op.LateEvents);
    }

    [Fact]
    public void Final_WithLateness_EmitsOnceIncludingAllowedLateEvents()
    {
        var sink = new RowCollector();
        var op = Tumbling(sink, EmitMode.Final, lateness: 5);
        Feed(op, 0, 10, 3, 14);                    // W = 13: fired at 9 but not released
        Assert.Empty(sink.Rows);
        Feed(op, 15);                              // W = 14: released with 2 events
        Assert.Equal(new[] { "1@0-10:2/200 r0F" }, sink.Lines());
    }

    [Fact]
    public void EveryUpdate_EmitsEachChange_ThenAFinalRow()
    {
        var sink = new RowCollector();
        var op = Tumbling(sink, EmitMode.EveryUpdate, lateness: 2);
        Feed(op, 1, 2, 10, 5, 12);                 // 5: allowed late (9 + 2 > W = 9); 12: W = 11 = release
        Assert.Equal(new[]
        {
            "1@0-10:1/100 r0", "1@0-10:2/200 r1", "1@10-20:1/100 r0", "1@0-10:3/300 r2",
            "1@10-20:2/200 r1", "1@0-10:3/300 r3F",
        }, sink.Lines());
    }

    [Fact]
    public void EveryUpdate_Sliding_EmitsARowPerWindowHoldingTheEvent_RevisionsContinueAfterFiring()
    {
        // Size 10, slide 5 (panes of 5): an instant is in two windows. Bound 0, lateness 3.
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 10, SlideMs = 5 },
            AllowedLatenessMs = 3, Emit = EmitMode.EveryUpdate, Clock = new ManualClock(),
        });
        Feed(op, 3);      // in [-5,5) and [0,10); then W = 2
        Feed(op, 7);      // in [0,10) and [5,15); W = 6 ≥ 4: [-5,5) fires (no row: it is released at 4 + 3 = 7)
        Feed(op, 12);     // in [5,15) and [10,20); W = 11: [-5,5) released (final r1), then [0,10) fires (9 ≤ 11)
        Feed(op, 6);      // W = 11: fired [0,10) is revised (r2, allowed: 9 + 3 > 11); open [5,15) gets its third row
        Assert.Equal(new[]
        {
            "1@-5-5:1/100 r0", "1@0-10:1/100 r0",
            "1@0-10:2/200 r1", "1@5-15:1/100 r0",
            "1@5-15:2/200 r1", "1@10-20:1/100 r0", "1@-5-5:1/100 r1F",
            "1@0-10:3/300 r2", "1@5-15:3/300 r2",
        }, sink.Lines());
        sink.Clear();
        op.EndOfInput();  // W = +∞: [0,10) released at 12, [5,15) fires at 14 and is released at 17 before [10,20) fires at 19
        Assert.Equal(new[] { "1@0-10:3/300 r3F", "1@5-15:3/300 r3F", "1@10-20:1/100 r1F" }, sink.Lines());
        Assert.Equal(0, op.LateEvents);
        Assert.Equal(0, op.OpenBuckets);
    }

    [Fact]
    public void EveryUpdate_Sliding_TwoKeys_RowsCarryEachKeysOwnPanes()
    {
        // Size 6, slide 4: panes of gcd = 2; windows [..., -4..2, 0..6, 4..10, ...]. Bound 0, no lateness.
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 6, SlideMs = 4 },
            Emit = EmitMode.EveryUpdate, Clock = new ManualClock(),
        });
        op.Apply([Order.Of(1, 1)]);   // 1 is in [-4,2) and [0,6)
        op.Apply([Order.Of(2, 4)]);   // W = 0; 4 is in [0,6) and [4,10)
        op.Apply([Order.Of(1, 5)]);   // W = 3 (so [-4,2) fired and was released after key 2); 5 is in [0,6) and [4,10)
        Assert.Equal(new[]
        {
            "1@-4-2:1/100 r0", "1@0-6:1/100 r0",
            "2@0-6:1/100 r0", "2@4-10:1/100 r0", "1@-4-2:1/100 r1F",
            "1@0-6:2/200 r1", "1@4-10:1/100 r0",
        }, sink.Lines());
        sink.Clear();
        op.EndOfInput();
        Assert.Equal(new[] { "1@0-6:2/200 r2F", "2@0-6:1/100 r1F", "1@4-10:1/100 r1F", "2@4-10:1/100 r1F" },
            sink.Lines().OrderBy(l => l.Split(':')[0].Split('@')[1], StringComparer.Ordinal).ThenBy(l => l, StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Periodic_OnSlidingWindows_IsAccepted_ItsRowsAreTestedInSlidingPeriodicTests()
    {
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(new RowCollector(), null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 10, SlideMs = 5 },
            Emit = EmitMode.Periodic, EmitIntervalMs = 1_000, Clock = new ManualClock(),
        });
        Assert.Equal(EmitMode.Periodic, op.Window.Emit);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(new RowCollector(), null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 10, SlideMs = 5 },
            Emit = EmitMode.Periodic, EmitIntervalMs = 0, Clock = new ManualClock(),
        }));
        Assert.Contains("EmitIntervalMs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Periodic_EmitsChangedRowsEachInterval_OfInjectedProcessingTime()
    {
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = Tumbling(sink, EmitMode.Periodic, clock: clock, interval: 1_000);
        var entries = new RingEntry<Order>[] { new() { Event = Order.Of(1, 1) }, new() { Event = Order.Of(2, 2) } };
        op.OnBatch(entries, 0);
        Assert.Empty(sink.Rows);                   // the interval has not passed
        clock.Advance(1_000);
        op.Tick();
        Assert.Equal(new[] { "1@0-10:1/100 r0", "2@0-10:1/100 r0" }, sink.Lines().Order());
        sink.Clear();
        op.OnBatch(entries.AsSpan(0, 1), 2);
        clock.Advance(999);
        op.Tick();
        Assert.Empty(sink.Rows);
        clock.Advance(1);
        op.Tick();                                 // only key 1 changed
        Assert.Equal(new[] { "1@0-10:2/200 r1" }, sink.Lines());
        sink.Clear();
        op.EndOfInput();
        Assert.Equal(new[] { "1@0-10:2/200 r2F", "2@0-10:1/100 r1F" }, sink.Lines().Order());
    }

    [Fact]
    public void Offset_ShiftsWindowBoundaries()
    {
        var sink = new RowCollector();
        var op = Tumbling(sink, EmitMode.Final, offset: 3);
        Feed(op, 2, 3, 12, 13, 14);                // [−7,3) gets 2; [3,13) gets 3, 12; W = 13 − 1 = 12 fires [3,13)
        Assert.Equal(new[] { "1@-7-3:1/100 r0F", "1@3-13:2/200 r0F" }, sink.Lines());
    }

    [Fact]
    public void InBandWatermarks_RegressionsIgnored_AndEndOfInputFiresEverything()
    {
        var sink = new RowCollector();
        var control = new ControlRecorder();
        var op2 = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            MaxOutOfOrdernessMs = 1_000, Clock = new ManualClock(), Control = control,
        });
        RingEntry<Order>[] batch =
        [
            new() { Event = Order.Of(1, 1) },
            new() { Kind = EntryKind.Watermark, Value = 9 },   // fires [0,10)
            new() { Event = Order.Of(1, 15) },
            new() { Kind = EntryKind.Watermark, Value = 5 },   // regression: ignored
            new() { Event = Order.Of(1, 8) },                  // late against W = 9
            new() { Kind = EntryKind.Barrier, Value = 42 },
            new() { Kind = EntryKind.EndOfInput },
        ];
        op2.OnBatch(batch, 100);
        Assert.Equal(new[] { "1@0-10:1/100 r0F", "1@10-20:1/100 r0F" }, sink.Lines());
        Assert.Equal(1, op2.LateEvents);
        Assert.Equal(new[] { "barrier 42 @105", "end 0 @106" }, control.Calls);
    }

    [Fact]
    public void IdleSource_StopsHoldingBackTheWatermark_AfterTimeoutOfProcessingTime()
    {
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = Tumbling(sink, EmitMode.Final, clock: clock, sources: 2, idle: 30_000);
        op.OnBatch([new() { SourceId = 0, Event = Order.Of(1, 1) }], 0);
        clock.Advance(20_000);
        op.OnBatch([new() { SourceId = 0, Event = Order.Of(1, 25) }], 1);
        Assert.Equal(long.MinValue, op.Watermark); // source 1 silent, not idle yet
        clock.Advance(9_999);
        op.Tick();                                 // 29.999 s of silence from source 1
        Assert.Empty(sink.Rows);
        clock.Advance(1);
        op.Tick();                                 // 30 s of silence: source 1 idle, W = 24
        Assert.Equal(24, op.Watermark);
        Assert.Equal(new[] { "1@0-10:1/100 r0F" }, sink.Lines());
        // Source 1 comes back behind W: its watermark does not pull W back; its event for [0,10) is late.
        op.OnBatch([new() { SourceId = 1, Event = Order.Of(2, 3) }], 3);
        Assert.Equal(24, op.Watermark);
        Assert.Equal(1, op.LateEvents);
        Assert.True(op.Sources.IsIdle(1) == false);
    }

    [Fact]
    public void TwoSources_WatermarkIsTheMinimum()
    {
        var sink = new RowCollector();
        var op = Tumbling(sink, EmitMode.Final, sources: 2);
        op.OnBatch([new() { SourceId = 0, Event = Order.Of(1, 30) }, new() { SourceId = 1, Event = Order.Of(1, 11) }], 0);
        Assert.Equal(10, op.Watermark);            // min(29, 10)
        Assert.Empty(sink.Rows);                   // [10,20) and [30,40) are open; nothing before 10 had data
        op.OnBatch([new() { SourceId = 1, Event = Order.Of(1, 22) }], 2);
        Assert.Equal(new[] { "1@10-20:1/100 r0F" }, sink.Lines());
    }

    [Fact]
    public void Sliding_EventsCountInEveryWindowThatHoldsThem()
    {
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 10, SlideMs = 5 },
            MaxOutOfOrdernessMs = 0, Clock = new ManualClock(),
        });
        op.Apply([Order.Of(1, 2), Order.Of(1, 7), Order.Of(1, 12)]);
        // W = 11: [−5,5) (end − 1 = 4) and [0,10) (9) have fired.
        Assert.Equal(new[] { "1@-5-5:1/100 r0F", "1@0-10:2/200 r0F" }, sink.Lines());
        op.EndOfInput();
        Assert.Equal(new[] { "1@-5-5:1/100 r0F", "1@0-10:2/200 r0F", "1@5-15:2/200 r0F", "1@10-20:1/100 r0F" }, sink.Lines());
        Assert.Equal(0, op.OpenBuckets);
    }

    [Fact]
    public void Sliding_AllowedLateEvent_RevisesEveryFiredWindowHoldingIt()
    {
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 10, SlideMs = 5 },
            AllowedLatenessMs = 20, Emit = EmitMode.OnWindowClose, Clock = new ManualClock(),
        });
        op.Apply([Order.Of(1, 6), Order.Of(1, 16)]);         // W = 15: [0,10) and [5,15) fired
        Assert.Equal(new[] { "1@0-10:1/100 r0", "1@5-15:1/100 r0" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, 7)]);                          // in [0,10), [5,15): both revised
        Assert.Equal(new[] { "1@0-10:2/200 r1", "1@5-15:2/200 r1" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, 12)]);                         // in [5,15) (fired) and [10,20) (open)
        Assert.Equal(new[] { "1@5-15:3/300 r2" }, sink.Lines());
        sink.Clear();
        op.AdvanceWatermark(19);                             // [10,20) fires with 16 and 12
        Assert.Equal(new[] { "1@10-20:2/200 r0" }, sink.Lines());
    }

    [Fact]
    public void Sessions_SplitOnGap_AndMergeWhenAnEventBridgesTwo()
    {
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 10 },
            MaxOutOfOrdernessMs = 100, Clock = new ManualClock(),
        });
        op.Apply([Order.Of(1, 0), Order.Of(1, 5), Order.Of(1, 20), Order.Of(2, 0)]);
        // key 1: [0,15) and [20,30) (gap 15 ≥ 10); key 2: [0,10)
        op.Apply([Order.Of(1, 12)]);                         // [12,22) overlaps both: one session [0,30)
        op.Apply([Order.Of(1, 41)]);                         // 41 > 30, the session's end: separate [41,51)
        op.Apply([Order.Of(1, 51)]);                         // exactly one gap after 41: [51,61) touches [41,51): one session [41,61) (Flink)
        op.Apply([Order.Of(1, 62)]);                         // 62 > 61: separate [62,72)
        op.Apply([Order.Of(2, 20)]);                         // [20,30) and key 2's [0,10) do not touch: separate
        op.EndOfInput();
        Assert.Equal(new[] { "1@0-30:4/400 r0F", "1@41-61:2/200 r0F", "1@62-72:1/100 r0F", "2@0-10:1/100 r0F", "2@20-30:1/100 r0F" }, sink.Lines().Order());
        Assert.Equal(0, op.StateEntries);
    }

    [Fact]
    public void Sessions_FireOnWatermark_AndLateUpdatesRevise()
    {
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 10 },
            AllowedLatenessMs = 10, Emit = EmitMode.OnWindowClose, Clock = new ManualClock(),
        });
        op.Apply([Order.Of(1, 0), Order.Of(1, 3), Order.Of(1, 14)]);   // W = 13 after 14
        // 14 > 13, the end of [0,13): sessions [0,13) and [14,24). W = 13 ≥ 13 − 1: [0,13) fired.
        Assert.Equal(new[] { "1@0-13:2/200 r0" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, 2)]);                                     // allowed late: revision 1
        Assert.Equal(new[] { "1@0-13:3/300 r1" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, 25)]);                                    // W = 24: [0,13) released at 12 + 10 = 22, [14,24) fires at 23; [25,35) apart
        Assert.Equal(new[] { "1@0-13:3/300 r2F", "1@14-24:1/100 r0" }, sink.Lines().Order());
        sink.Clear();
        op.Apply([Order.Of(1, 1)]);                                     // 1 + 10 − 1 + 10 = 20 ≤ 24: late
        Assert.Equal(1, op.LateEvents);
        Assert.Empty(sink.Rows);
    }

    [Fact]
    public void RuntimeOptions_OverrideTheDeclaredSettings()
    {
        var declared = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(new RowCollector(), null, new WindowOptions { Clock = new ManualClock() });
        Assert.Equal(86_400_000, declared.Window.SizeMs);
        Assert.Equal(600_000, declared.Window.MaxOutOfOrdernessMs);
        Assert.Equal(0, declared.Window.AllowedLatenessMs);
        var overridden = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(new RowCollector(), null,
            new WindowOptions { AllowedLatenessMs = 3_600_000, Emit = EmitMode.OnWindowClose, Clock = new ManualClock() });
        Assert.Equal(3_600_000, overridden.Window.AllowedLatenessMs);
        Assert.Equal(EmitMode.OnWindowClose, overridden.Window.Emit);
        Assert.Equal(86_400_000, overridden.Window.SizeMs);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(
            new RowCollector(), null, new WindowOptions { AllowedLatenessMs = -1 }));
        Assert.Contains("AllowedLatenessMs", ex.Message, StringComparison.Ordinal);
    }

    private sealed class ControlRecorder : IControlListener
    {
        public List<string> Calls { get; } = new();
        public void OnBarrier(long checkpointId, long sequence) => Calls.Add($"barrier {checkpointId} @{sequence}");
        public void OnEndOfInput(int sourceId, long sequence) => Calls.Add($"end {sourceId} @{sequence}");
    }
}
