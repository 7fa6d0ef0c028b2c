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
    public void EventLateOnItsOwn_ReachingAHeldSessionFromBefore_IsLate()
    {
        // Flink would extend [10, 25) back to [2, 25); here a start never moves back by an event past its own lateness.
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = Sessions(sink, late);
        op.Apply([Order.Of(1, 10), Order.Of(1, 15)]);              // [10, 25)
        op.AdvanceWatermark(20);
        op.Apply([Order.Of(1, 2)]);                                // own [2, 12): 11 ≤ 20, and 2 is before the session
        Assert.Equal(new[] { (2L, 20L) }, late.Events);
        op.EndOfInput();
        Assert.Equal(new[] { "1@10-25:2/200 r0F" }, sink.Lines());
    }

    [Fact]
    public void ReleasedSessionsStart_IsNeverTakenAgain()
    {
        // A = [100, 110) is released; B = [105, 115) is held; an event at 100, late on its own, would pull B back onto
        // A's start 100 (two final rows of key 1 starting at 100: an upsert downstream would keep one). It is late.
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, late, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 10 }, MaxOutOfOrdernessMs = 0, Clock = new ManualClock(),
        });
        op.Apply([Order.Of(1, 100), Order.Of(2, 111)]);            // W = 110 ≥ 109: A released
        op.Apply([Order.Of(1, 105)]);                              // own [105, 115): 114 > 110, on time: B
        op.Apply([Order.Of(1, 100)]);                              // own [100, 110): 109 ≤ 110, before B's start: late
        Assert.Equal(1, op.LateEvents);
        op.EndOfInput();
        Assert.Equal(new[] { "1@100-110:1/100 r0F", "1@105-115:1/100 r0F", "2@111-121:1/100 r0F" }, sink.Lines().Order());
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
    public void FiredSessionWithinLateness_TakesAnEventInsideIt_AndRevises()
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = Sessions(sink, late, EmitMode.OnWindowClose, lateness: 10);
        op.Apply([Order.Of(1, 0), Order.Of(1, 3)]);                // [0, 13)
        op.AdvanceWatermark(21);                                   // 12 ≤ 21: fired; released at 12 + 10 = 22
        Assert.Equal(new[] { "1@0-13:2/200 r0" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, 1)]);                                // own [1, 11): 10 + 10 = 20 ≤ 21, but inside [0, 13)
        Assert.Equal(0, op.LateEvents);
        Assert.Equal(new[] { "1@0-13:3/300 r1" }, sink.Lines());
        sink.Clear();
        op.AdvanceWatermark(22);                                   // released: the final revision
        Assert.Equal(new[] { "1@0-13:3/300 r2F" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, 2)]);                                // own [2, 12): 21 ≤ 22, nothing held: late
        Assert.Equal(1, op.LateEvents);
        Assert.Empty(sink.Rows);
    }

    [Theory]
    [InlineData(11, 0L, EmitMode.Final)]
    [InlineData(12, 40L, EmitMode.Final)]
    [InlineData(13, 40L, EmitMode.OnWindowClose)]
    [InlineData(14, 0L, EmitMode.EveryUpdate)]
    public void WithLateArrivals_FinalSessionsAndLateCount_EqualANaiveModel(int seed, long lateness, EmitMode emit)
    {
        // Arrivals in time order + U[0, 50] ms, 5% of them held back up to 400 ms: some late, some allowed-late,
        // some joining held sessions behind their own gap. Per-record watermark W = largest earlier time − 50 − 1.
        const long bound = 50, gap = 25;
        var rng = new Random(seed);
        var events = new List<(long SortKey, Order Order)>();
        long t = 1_000;
        for (var i = 0; i < 5_000; i++)
        {
            t += rng.Next(0, 6);
            var price = rng.Next(10) == 0 ? 0 : rng.Next(1, 1_000);   // 10% unpaid: filtered out, but they move W
            var delay = rng.Next(20) == 0 ? rng.Next(0, 400) : rng.Next(0, (int)bound + 1);
            events.Add((t + delay, Order.Of(rng.Next(8), t, price, rng.Next(1, 5), i)));
        }
        var arrivals = events.OrderBy(e => e.SortKey).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();

        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = gap },
            MaxOutOfOrdernessMs = bound, AllowedLatenessMs = lateness, Emit = emit, Clock = new ManualClock(),
        });
        for (var i = 0; i < arrivals.Length; i += 97) op.Apply(arrivals.AsSpan(i, Math.Min(97, arrivals.Length - i)));
        op.EndOfInput();

        // The model, from the definitions: per key a list of held sessions [start, end); before each event every
        // session with end − 1 + L ≤ W is final. A paid event is late when its own [t, t + gap) is (t + gap − 1 + L
        // ≤ W) and no held session of its key contains t; otherwise it and every held session it overlaps or touches become one.
        var held = new Dictionary<long, List<(long Start, long End, long Revenue, long Orders)>>();
        var final = new Dictionary<(long, long, long), (long, long)>();
        long maxT = long.MinValue, late = 0, joinedLate = 0;
        void Release(long w)
        {
            foreach (var (key, list) in held)
            {
                foreach (var s in list.Where(s => w != long.MaxValue ? s.End - 1 + lateness <= w : true).ToList())
                {
                    final[(key, s.Start, s.End)] = (s.Revenue, s.Orders);
                    list.Remove(s);
                }
            }
        }
        foreach (var o in arrivals)
        {
            var w = maxT == long.MinValue ? long.MinValue : maxT - bound - 1;
            Release(w);
            if (o.IsPaid)
            {
                var list = held.TryGetValue(o.ProductId, out var l) ? l : held[o.ProductId] = [];
                var end = o.TimestampMs + gap;
                var touching = list.Where(s => s.Start <= end && o.TimestampMs <= s.End).ToList();   // overlapping or touching
                var ownLate = end - 1 + lateness <= w;
                if (ownLate && !list.Any(s => s.Start <= o.TimestampMs && o.TimestampMs < s.End)) late++;
                else
                {
                    if (ownLate) joinedLate++;
                    var merged = (Start: o.TimestampMs, End: end, Revenue: o.RevenueCents, Orders: 1L);
                    foreach (var s in touching)
                    {
                        merged = (Math.Min(merged.Start, s.Start), Math.Max(merged.End, s.End), merged.Revenue + s.Revenue, merged.Orders + s.Orders);
                        list.Remove(s);
                    }
                    list.Add(merged);
                }
            }
            maxT = Math.Max(maxT, o.TimestampMs);
        }
        Release(long.MaxValue);

        var actualFinal = sink.Rows.Where(r => r.Revision.IsFinal).Select(r => (r.Row.ProductId, r.Row.WindowStartMs, r.Row.WindowEndMs)).ToList();
        Assert.True(late == op.LateEvents, $"seed {seed}: late events {op.LateEvents}, model {late}");
        Assert.True(late > 0, $"seed {seed}: no late event: the case tests nothing beyond the on-time one");
        Assert.True(joinedLate > 0, $"seed {seed}: no event late on its own joined a held session: the rule is not exercised");
        // No two final sessions of one key share a start (a start is a row's identity downstream).
        Assert.Equal(actualFinal.Count, actualFinal.Select(k => (k.Item1, k.Item2)).Distinct().Count());
        var actual = sink.Rows.Where(r => r.Revision.IsFinal)
            .ToDictionary(r => (r.Row.ProductId, r.Row.WindowStartMs, r.Row.WindowEndMs), r => (r.Row.RevenueCents, r.Row.Orders));
        Assert.True(final.Count == actual.Count, $"seed {seed}: {actual.Count} final sessions, model {final.Count}");
        foreach (var (k, e) in final)
        {
            Assert.True(actual.TryGetValue(k, out var row), $"seed {seed}: missing session {k}");
            Assert.True(e == row, $"seed {seed}: session {k}: {row} against {e}");
        }
    }
}
