using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// Randomized arrival orders checked against a GROUP BY oracle written here from the definitions:
/// an event counts in a window unless, when it arrives, the watermark (largest earlier event time −
/// bound − 1) has reached that window's end − 1 + lateness.
/// </summary>
public sealed class WindowedPropertyTests
{
    private const long Bound = 50;

    public static TheoryData<int, WindowKind, EmitMode, long, bool> Cases()
    {
        var data = new TheoryData<int, WindowKind, EmitMode, long, bool>();
        var seed = 100;
        foreach (var kind in new[] { WindowKind.Tumbling, WindowKind.Sliding })
            foreach (var emit in new[] { EmitMode.Final, EmitMode.OnWindowClose, EmitMode.EveryUpdate, EmitMode.Periodic })
                foreach (var lateness in new long[] { 0, 40 })
                    foreach (var withLate in new[] { false, true })
                        data.Add(seed++, kind, emit, lateness, withLate);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FinalResults_EqualGroupByOverNonLateEvents(int seed, WindowKind kind, EmitMode emit, long lateness, bool withLate)
    {
        var rng = new Random(seed);
        var arrivals = Arrivals(rng, 6_000, withLate);
        var size = 100L;
        var slide = kind == WindowKind.Sliding ? 30L : 100L;
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = kind, SizeMs = size, SlideMs = slide, OffsetMs = 7 },
            MaxOutOfOrdernessMs = Bound, AllowedLatenessMs = lateness, Emit = emit, EmitIntervalMs = 50, Clock = clock,
        });
        // Feed in uneven batches; processing time moves between them (Periodic emits on its interval).
        for (var i = 0; i < arrivals.Length;)
        {
            var n = Math.Min(arrivals.Length - i, rng.Next(1, 200));
            op.Apply(arrivals.AsSpan(i, n));
            i += n;
            clock.Advance(rng.Next(0, 40));
            op.Tick();
        }
        op.EndOfInput();

        var (expected, late) = Oracle(arrivals, size, slide, 7, lateness);
        var actual = sink.Latest();
        Assert.True(late == op.LateEvents, $"seed {seed}: late events {op.LateEvents}, oracle {late}");
        Assert.True(!withLate || late > 0, $"seed {seed}: the late case produced no late events");
        Assert.True(withLate || late == 0, $"seed {seed}: arrivals inside the bound made {late} late events: the plain GROUP BY case is not one");
        Assert.True(expected.Count == actual.Count, $"seed {seed}: {actual.Count} (key, window) rows, oracle {expected.Count}");
        foreach (var (k, e) in expected)
        {
            Assert.True(actual.TryGetValue(k, out var row), $"seed {seed}: missing row {k}");
            Assert.True(e == (row.RevenueCents, row.Orders, row.Cheapest, row.Dearest), $"seed {seed}: row {k}: {row} vs oracle {e}");
        }
        // Every (key, window) ends with exactly one final row, and revisions count up from 0.
        var finals = sink.Rows.Where(r => r.Revision.IsFinal).Select(r => (r.Row.ProductId, r.Row.WindowStartMs)).ToList();
        Assert.True(finals.Count == expected.Count && finals.Distinct().Count() == finals.Count, $"seed {seed}: final rows");
        if (emit == EmitMode.Final) Assert.True(sink.Rows.Count == expected.Count, $"seed {seed}: Final emits once");
        if (emit == EmitMode.Periodic) Assert.True(sink.Rows.Any(r => !r.Revision.IsFinal), $"seed {seed}: Periodic emitted no partial row between batches");
        Assert.Equal(0, op.OpenBuckets);
    }

    /// <summary>
    /// EveryUpdate, row by row: for every (key, window), one row per event counted in it, in arrival
    /// order, carrying the running aggregate of the events counted so far with revisions 0, 1, 2, …;
    /// then one final row with the whole aggregate. Windows: tumbling, and sliding with a slide that
    /// differs from the size (several windows per event, panes of gcd(size, slide)).
    /// </summary>
    [Theory]
    [InlineData(300, WindowKind.Tumbling, 0L)]
    [InlineData(301, WindowKind.Tumbling, 40L)]
    [InlineData(302, WindowKind.Sliding, 0L)]
    [InlineData(303, WindowKind.Sliding, 40L)]
    [InlineData(304, WindowKind.Sliding, 40L)]
    public void EveryUpdate_RowsPerWindow_AreTheRunningAggregateOfItsCountedEvents(int seed, WindowKind kind, long lateness)
    {
        var rng = new Random(seed);
        var arrivals = Arrivals(rng, 3_000, withLate: true, keys: 6);
        var size = 100L;
        var slide = kind == WindowKind.Sliding ? 40L : 100L;   // sliding: panes of 20, up to 3 windows per event
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = kind, SizeMs = size, SlideMs = slide, OffsetMs = 3 },
            MaxOutOfOrdernessMs = Bound, AllowedLatenessMs = lateness, Emit = EmitMode.EveryUpdate, Clock = new ManualClock(),
        });
        for (var i = 0; i < arrivals.Length;)
        {
            var n = Math.Min(arrivals.Length - i, rng.Next(1, 100));
            op.Apply(arrivals.AsSpan(i, n));
            i += n;
        }
        op.EndOfInput();

        // The model: the watermark before each arrival decides which windows count it (not released).
        var expected = new Dictionary<(long, long, long), List<(int Rev, bool Final, long Revenue, long Orders)>>();
        var sums = new Dictionary<(long, long, long), (long Revenue, long Orders)>();
        long max = long.MinValue;
        foreach (var o in arrivals)
        {
            var w = max == long.MinValue ? long.MinValue : max - Bound - 1;
            max = Math.Max(max, o.TimestampMs);
            if (!o.IsPaid) continue;
            var lastStart = o.TimestampMs - (((o.TimestampMs - 3) % slide) + slide) % slide;
            for (var start = lastStart - ((size - 1) / slide) * slide; start <= lastStart; start += slide)
            {
                if (start + size <= o.TimestampMs || start + size - 1 + lateness <= w) continue;
                var k = (o.ProductId, start, start + size);
                var a = sums.GetValueOrDefault(k);
                a = (a.Revenue + o.RevenueCents, a.Orders + 1);
                sums[k] = a;
                if (!expected.TryGetValue(k, out var list)) expected[k] = list = new();
                list.Add(((int)a.Orders - 1, false, a.Revenue, a.Orders));
            }
        }
        foreach (var (k, list) in expected) list.Add((list.Count, true, sums[k].Revenue, sums[k].Orders));

        var actual = sink.Rows
            .GroupBy(r => (r.Row.ProductId, r.Row.WindowStartMs, r.Row.WindowEndMs))
            .ToDictionary(g => g.Key, g => g.Select(r => (r.Revision.Revision, r.Revision.IsFinal, r.Row.RevenueCents, r.Row.Orders)).ToList());
        Assert.True(op.LateEvents > 0, $"seed {seed}: no late events");
        Assert.True(expected.Count == actual.Count, $"seed {seed}: {actual.Count} (key, window) groups, model {expected.Count}");
        foreach (var (k, list) in expected)
        {
            Assert.True(actual.TryGetValue(k, out var rows), $"seed {seed}: no rows for {k}");
            Assert.True(list.SequenceEqual(rows), $"seed {seed}: rows of {k}: [{string.Join(", ", rows)}] vs model [{string.Join(", ", list)}]");
        }
        Assert.Equal(0, op.OpenBuckets);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public void Sessions_InBoundedOrder_EqualGapSplitOfSortedEvents(int seed)
    {
        var rng = new Random(seed);
        var arrivals = Arrivals(rng, 4_000, withLate: false, keys: 8, maxStep: 6);
        var gap = 25L;
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = gap },
            MaxOutOfOrdernessMs = Bound, Clock = new ManualClock(),
        });
        op.Apply(arrivals);
        op.EndOfInput();
        Assert.Equal(0, op.LateEvents);

        var expected = new Dictionary<(long, long, long), (long, long)>();
        foreach (var group in arrivals.Where(o => o.IsPaid).GroupBy(o => o.ProductId))
        {
            var sorted = group.OrderBy(o => o.TimestampMs).ToArray();
            var start = 0;
            for (var i = 1; i <= sorted.Length; i++)
            {
                if (i < sorted.Length && sorted[i].TimestampMs - sorted[i - 1].TimestampMs <= gap) continue;   // one gap apart: one session
                var part = sorted[start..i];
                expected[(group.Key, part[0].TimestampMs, part[^1].TimestampMs + gap)] = (part.Sum(o => o.RevenueCents), part.Length);
                start = i;
            }
        }
        var actual = sink.Latest();
        Assert.True(expected.Count == actual.Count, $"seed {seed}: {actual.Count} sessions, oracle {expected.Count}");
        foreach (var (k, e) in expected)
        {
            Assert.True(actual.TryGetValue(k, out var row), $"seed {seed}: missing session {k}");
            Assert.True(e == (row.RevenueCents, row.Orders), $"seed {seed}: session {k}: {row} vs {e}");
        }
    }

    /// <summary>
    /// Events in an order that respects the bound (sorted by time + U[0, bound]), optionally with 5%
    /// of them held back far longer (late or allowed-late).
    /// </summary>
    private static Order[] Arrivals(Random rng, int n, bool withLate, int keys = 20, int maxStep = 3)
    {
        var events = new List<(long SortKey, Order Order)>(n);
        long t = 1_000;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, maxStep);
            var price = rng.Next(10) == 0 ? 0 : rng.Next(1, 1_000);   // 10% unpaid: filtered out
            var order = Order.Of(rng.Next(keys), t, price, rng.Next(1, 5), i);
            var delay = withLate && rng.Next(20) == 0 ? rng.Next(0, 400) : rng.Next(0, (int)Bound + 1);
            events.Add((t + delay, order));
        }
        return events.OrderBy(e => e.SortKey).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();
    }

    private static (Dictionary<(long, long, long), (long, long, long, long)> Rows, long Late) Oracle(
        Order[] arrivals, long size, long slide, long offset, long lateness)
    {
        var acc = new Dictionary<(long, long, long), (long Rev, long N, long Min, long Max)>();
        long max = long.MinValue, late = 0;
        foreach (var o in arrivals)
        {
            var w = max == long.MinValue ? long.MinValue : max - Bound - 1;
            max = Math.Max(max, o.TimestampMs);
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
            if (!counted) late++;
        }
        return (acc.ToDictionary(p => p.Key, p => (p.Value.Rev, p.Value.N, p.Value.Min, p.Value.Max)), late);
    }
}
