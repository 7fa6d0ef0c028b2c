using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// The batch path of tumbling and sliding windows (one source, per-record watermarks) caches the
/// current pane's bounds and table and keeps the watermark as the largest event time until something
/// reads it. These tests use windows holding thousands of events and batches of up to 1,500, with
/// out-of-order events around window boundaries, late and allowed-late events, unpaid (filtered)
/// events, sparse keys (hashed tables) and watermarks advanced by hand between batches (which the
/// events' own watermark then lags: a regression that must be ignored). Results, late events and
/// which windows have fired after each batch are checked against a model written here from the definitions.
/// </summary>
public sealed class WindowedBatchPathTests
{
    private const long Bound = 50;

    [Theory]
    [InlineData(1, WindowKind.Tumbling, EmitMode.Final, 0L, false, false)]
    [InlineData(2, WindowKind.Tumbling, EmitMode.OnWindowClose, 120L, false, false)]
    [InlineData(3, WindowKind.Tumbling, EmitMode.Final, 120L, true, false)]
    [InlineData(4, WindowKind.Tumbling, EmitMode.OnWindowClose, 0L, true, true)]
    [InlineData(5, WindowKind.Sliding, EmitMode.Final, 0L, false, false)]
    [InlineData(6, WindowKind.Sliding, EmitMode.OnWindowClose, 120L, true, false)]
    [InlineData(7, WindowKind.Sliding, EmitMode.Final, 120L, false, true)]
    [InlineData(8, WindowKind.Tumbling, EmitMode.Final, 0L, false, true)]
    [InlineData(9, WindowKind.Tumbling, EmitMode.Final, 120L, false, false, true)]
    [InlineData(10, WindowKind.Sliding, EmitMode.OnWindowClose, 0L, false, true, true)]
    public void LongWindows_BatchPath_EqualsModel(int seed, WindowKind kind, EmitMode emit, long lateness, bool sparseKeys, bool manualWatermarks, bool farKeys = false)
    {
        var rng = new Random(seed);
        var arrivals = Arrivals(rng, 40_000, sparseKeys, farKeys);
        const long size = 3_000, offset = 11;
        var slide = kind == WindowKind.Sliding ? 1_000L : size;
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, late, new WindowOptions
        {
            Window = new WindowSpec { Kind = kind, SizeMs = size, SlideMs = slide, OffsetMs = offset },
            MaxOutOfOrdernessMs = Bound, AllowedLatenessMs = lateness, Emit = emit, Clock = new ManualClock(),
        });

        // The model's state: the watermark is the larger of the events' (largest time − bound − 1) and
        // the largest advanced by hand; an event counts in a window unless, when it arrives, the
        // watermark has reached the window's end − 1 + lateness.
        var acc = new Dictionary<(long, long, long), (long Rev, long N, long Min, long Max)>();
        long maxT = long.MinValue, manual = long.MinValue, lateCount = 0;
        for (var i = 0; i < arrivals.Length;)
        {
            var n = Math.Min(arrivals.Length - i, rng.Next(1, 1_500));
            op.Apply(arrivals.AsSpan(i, n));
            foreach (var o in arrivals.AsSpan(i, n))
            {
                var w = Math.Max(maxT == long.MinValue ? long.MinValue : maxT - Bound - 1, manual);
                maxT = Math.Max(maxT, o.TimestampMs);
                if (!o.IsPaid) continue;
                var counted = false;
                var lastStart = o.TimestampMs - (((o.TimestampMs - offset) % slide) + slide) % slide;
                for (var start = lastStart; start > o.TimestampMs - size; start -= slide)
                {
                    if (start + size - 1 + lateness <= w) continue;
                    counted = true;
                    var k = (o.ProductId, start, start + size);
                    var a = acc.GetValueOrDefault(k, (0, 0, long.MaxValue, long.MinValue));
                    acc[k] = (a.Rev + o.RevenueCents, a.N + 1, Math.Min(a.Min, o.PriceCents), Math.Max(a.Max, o.PriceCents));
                }
                if (!counted) lateCount++;
            }
            i += n;
            // Firing is not put off to a later batch: after each batch exactly the windows the watermark
            // has passed (end − 1, and for Final also the lateness) have rows.
            var wNow = Math.Max(maxT - Bound - 1, manual);
            var due = emit == EmitMode.Final ? lateness : 0;
            var emitted = sink.Rows.Select(r => (r.Row.ProductId, r.Row.WindowStartMs, r.Row.WindowEndMs)).ToHashSet();
            var expectedFired = acc.Keys.Where(k => k.Item3 - 1 + due <= wNow).ToHashSet();
            Assert.True(expectedFired.SetEquals(emitted), $"seed {seed}: after {i} events (W {wNow}) {emitted.Count} (key, window)s emitted, model {expectedFired.Count}");
            // Tumbling Final: a (key, window) is one entry until its row goes out. The tables count the keys the
            // direct loop adds (counted per claim, or by passes over the primed control bytes for batches
            // large next to the primed slots: batches of 1 to 1,500 here against 1,024 and then 40 primed slots).
            if (kind == WindowKind.Tumbling && emit == EmitMode.Final)
                Assert.True(acc.Count - expectedFired.Count == op.StateEntries, $"seed {seed}: after {i} events {op.StateEntries} entries held, model {acc.Count - expectedFired.Count}");
            if (manualWatermarks && rng.Next(4) == 0)
            {
                // Ahead of the events' watermark by up to 2 bounds (later events then regress below it).
                var target = maxT - Bound - 1 + rng.Next(0, 2 * (int)Bound);
                op.AdvanceWatermark(target);
                manual = Math.Max(manual, target);
                Assert.True(op.Watermark == Math.Max(maxT - Bound - 1, manual), $"seed {seed}: watermark {op.Watermark} after advancing to {target}");
            }
        }
        op.EndOfInput();

        Assert.True(lateCount == op.LateEvents && late.Events.Count == lateCount, $"seed {seed}: late events {op.LateEvents} (sink {late.Events.Count}), model {lateCount}");
        Assert.True(lateCount > 0, $"seed {seed}: the input produced no late events");
        var actual = sink.Latest();
        Assert.True(acc.Count == actual.Count, $"seed {seed}: {actual.Count} (key, window) rows, model {acc.Count}");
        foreach (var (k, e) in acc)
        {
            Assert.True(actual.TryGetValue(k, out var row), $"seed {seed}: missing row {k}");
            Assert.True((e.Rev, e.N, e.Min, e.Max) == (row.RevenueCents, row.Orders, row.Cheapest, row.Dearest), $"seed {seed}: row {k}: {row} vs model {e}");
        }
        if (emit == EmitMode.Final) Assert.True(sink.Rows.Count == acc.Count, $"seed {seed}: Final emits once per (key, window)");
        Assert.Equal(0, op.OpenBuckets);
    }

    /// <summary>
    /// Hand-derived: window [0, 1000), bound 10. A batch that starts in the cached window and crosses
    /// into the next one fires the first as soon as the watermark passes 999, within the batch: an event
    /// of the first window after that is late, one of the second counts there.
    /// </summary>
    [Fact]
    public void BatchCrossingTheWindowEnd_FiresWithinTheBatch()
    {
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 1_000 },
            MaxOutOfOrdernessMs = 10, Clock = new ManualClock(),
        });
        var first = new Order[300];
        for (var i = 0; i < first.Length; i++) first[i] = Order.Of(1, 500 + i, 100);   // t 500..799, all in [0, 1000)
        op.Apply(first);
        var second = new Order[300];
        for (var i = 0; i < 297; i++) second[i] = Order.Of(1, 800 + i, 100);          // t 800..1096: crosses 1000
        second[297] = Order.Of(1, 995, 100);    // W = 1085: [0, 1000) fired (999 ≤ 1085): late (no lateness)
        second[298] = Order.Of(2, 1090, 100);   // window [1000, 2000)
        second[299] = Order.Of(2, 1095, 100);
        op.Apply(second);
        Assert.Equal(["1@0-1000:500/50000 r0F"], sink.Lines());   // fired inside the batch, before its last events
        Assert.Equal(1_085, op.Watermark);
        var afterFire = new Order[] { Order.Of(1, 1000, 100), Order.Of(1, 999, 100) };   // 1000 counts, 999 is late
        op.Apply(afterFire);
        op.EndOfInput();
        Assert.Equal(2, op.LateEvents);
        var rows = sink.Latest();
        Assert.Equal(500, rows[(1, 0, 1_000)].Orders);       // 500..999
        Assert.Equal(98, rows[(1, 1_000, 2_000)].Orders);    // 1000..1096 and the 1000 after the fire
        Assert.Equal(2, rows[(2, 1_000, 2_000)].Orders);
        Assert.Equal(3, rows.Count);
    }

    /// <summary>
    /// The direct loop takes an event in one unsigned compare against [pane start, min(pane end, due time)):
    /// the range is cut at the event time that brings the next timer due, and is empty (every event stops
    /// the loop) when that time is at or before the pane's start.
    /// </summary>
    [Theory]
    [InlineData(0L, 1_000L, long.MaxValue, 1_000UL)]   // no timer: the whole pane
    [InlineData(0L, 1_000L, 600L, 600UL)]              // a timer due inside the pane
    [InlineData(0L, 1_000L, 1_000L, 1_000UL)]          // due exactly at the pane's end
    [InlineData(0L, 1_000L, 0L, 0UL)]                  // due at the pane's start: empty
    [InlineData(0L, 1_000L, -5L, 0UL)]                 // due before the pane (a pane ahead of the watermark's timer)
    [InlineData(-2_000L, -1_000L, long.MaxValue, 1_000UL)]
    [InlineData(long.MinValue, long.MinValue + 10, -1L, 10UL)]
    public void HitSpan_IsThePaneCutAtTheDueTime(long start, long end, long dueAt, ulong expected) =>
        Assert.Equal(expected, WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>.HitSpan(start, end, dueAt));

    /// <summary>
    /// Hand-derived: window [0, 1000), bound 10, so the window fires at the first event time ≥ 1010. Unpaid
    /// (filtered) events outside the cached pane stop the direct loop and only move the watermark: one at
    /// 1005 fires nothing, one at 1010 fires [0, 1000) inside the batch, one in the fired window is not
    /// late. Paid events around them: 990 before the fire counts, 995 after it is late. A batch shorter
    /// than the loop's prefetch distance runs its tail loop only.
    /// </summary>
    [Fact]
    public void UnpaidEventsOutsideTheCachedPane_OnlyMoveTheWatermark()
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, late, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 1_000 },
            MaxOutOfOrdernessMs = 10, Clock = new ManualClock(),
        });
        var first = new Order[20];
        for (var i = 0; i < first.Length; i++) first[i] = Order.Of(1, 100 + i, 100);   // caches [0, 1000)
        op.Apply(first);
        var second = new List<Order>();
        for (var i = 0; i < 10; i++) second.Add(Order.Of(1, 200 + i, 100));
        second.Add(Order.Of(2, 1_005, 0));     // unpaid, next window, before the due time: W 994
        second.Add(Order.Of(1, 990, 100));     // counts in [0, 1000)
        second.Add(Order.Of(2, 1_010, 0));     // unpaid, due: W 999 fires [0, 1000)
        second.Add(Order.Of(1, 995, 100));     // late
        second.Add(Order.Of(3, 5, 0));         // unpaid, in the fired window: not late
        for (var i = 0; i < 10; i++) second.Add(Order.Of(2, 1_011 + i, 100));
        op.Apply(second.ToArray());
        Assert.Equal(["1@0-1000:31/3100 r0F"], sink.Lines());
        Assert.Equal(1, op.LateEvents);
        Assert.Equal([(995L, 999L)], late.Events);
        Assert.Equal(1_009, op.Watermark);
        op.Apply([Order.Of(2, 1_500, 100), Order.Of(2, 1_501, 100), Order.Of(1, 1_502, 100)]);
        op.EndOfInput();
        var rows = sink.Latest();
        Assert.Equal(3, rows.Count);
        Assert.Equal(12, rows[(2, 1_000, 2_000)].Orders);
        Assert.Equal(1, rows[(1, 1_000, 2_000)].Orders);
    }

    /// <summary>
    /// Hand-derived: windows of 1000, bound 100. Once the batch path has moved on to [1000, 2000), an
    /// out-of-order event of [0, 1000) on a key that window holds is folded there while the later window
    /// stays cached; one on a key it lacks takes the general path (which switches the cached window back,
    /// and the next in-order event forward again). An event at 1100 (W 999) fires [0, 1000): after that an
    /// event of it is late (no lateness) or allowed-late, updating the fired window and emitting a revision
    /// (OnWindowClose, lateness 500); neither may be folded into the window as if it had not fired.
    /// </summary>
    [Theory]
    [InlineData(EmitMode.Final, 0L)]
    [InlineData(EmitMode.OnWindowClose, 500L)]
    public void OutOfOrderEventsOfTheWindowBefore_KeepTheCachedWindow_UntilItFires(EmitMode emit, long lateness)
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, late, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 1_000 },
            MaxOutOfOrdernessMs = 100, AllowedLatenessMs = lateness, Emit = emit, Clock = new ManualClock(),
        });
        var events = new List<Order>();
        for (var i = 0; i < 20; i++) events.Add(Order.Of(1, 900 + i, 100));    // [0, 1000)
        for (var i = 0; i < 20; i++) events.Add(Order.Of(1, 1_000 + i, 100));  // [1000, 2000) cached
        events.Add(Order.Of(1, 950, 100));     // older window, key held: folded there
        events.Add(Order.Of(2, 960, 100));     // older window, new key: general path
        events.Add(Order.Of(1, 1_020, 100));   // forward again
        events.Add(Order.Of(1, 970, 100));     // older window again
        for (var i = 0; i < 10; i++) events.Add(Order.Of(1, 1_030 + i, 100));
        events.Add(Order.Of(1, 1_100, 100));   // W 999: [0, 1000) fires
        events.Add(Order.Of(1, 1_101, 100));   // [1000, 2000) cached again
        events.Add(Order.Of(1, 980, 100));     // late, or allowed-late
        for (var i = 0; i < 10; i++) events.Add(Order.Of(1, 1_102 + i, 100));
        op.Apply(events.ToArray());
        if (emit == EmitMode.Final)
        {
            Assert.Equal(["1@0-1000:22/2200 r0F", "2@0-1000:1/100 r0F"], sink.Lines());
            Assert.Equal([(980L, 1_000L)], late.Events);
        }
        else
        {
            Assert.Equal(["1@0-1000:22/2200 r0", "2@0-1000:1/100 r0", "1@0-1000:23/2300 r1"], sink.Lines());
            Assert.Empty(late.Events);
        }
        op.EndOfInput();
        var rows = sink.Latest();
        Assert.Equal(3, rows.Count);
        Assert.Equal(43, rows[(1, 1_000, 2_000)].Orders);   // 1000..1019, 1020, 1030..1039, 1100, 1101, 1102..1111
    }

    /// <summary>
    /// Time mostly in order with steps of 0–2 ms (about 3,000 events per 3-second window), each event
    /// delayed by up to the bound, 0.2% held back up to 4.5 s (late or allowed-late: a sliding window ends up to 3 s after an event), 10% unpaid.
    /// Sparse keys are spread over 64 bits, so the tables hash instead of indexing directly. Far keys: the
    /// keys stay dense but one event in 500 has a key far outside a direct table's slots, so a window's
    /// table leaves direct mode in the middle of a batch (the direct loop must stop and not use its view again).
    /// </summary>
    private static Order[] Arrivals(Random rng, int n, bool sparseKeys, bool farKeys)
    {
        var events = new List<(long SortKey, Order Order)>(n);
        long t = 1_000;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 3);
            var price = rng.Next(10) == 0 ? 0 : rng.Next(1, 1_000);
            long key = rng.Next(40);
            if (sparseKeys) key = (long)((ulong)(key + 1) * 0x9E3779B97F4A7C15UL >> 1);
            if (farKeys && rng.Next(500) == 0) key = 1_000_000_000L + rng.Next(3);
            var order = Order.Of(key, t, price, rng.Next(1, 5), i);
            var delay = rng.Next(1_000) < 2 ? rng.Next(0, 4_500) : rng.Next(0, (int)Bound + 1);
            events.Add((t + delay, order));
        }
        return events.OrderBy(e => e.SortKey).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();
    }
}
