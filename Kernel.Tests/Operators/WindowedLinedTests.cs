using Kernel.Operators;
using Kernel.State;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// A sliding window over a state whose per-event fields fit one cache line and whose whole does not
/// ([First]'s values come last): its pane tables are lined, and the dense sliding stacks (Final, no
/// lateness) read their entries slot by slot.
/// </summary>
[Aggregation(typeof(Tick))]
[SlidingWindow("40ms", Slide = "10ms")]
[Watermark(MaxOutOfOrderness = "50ms")]
public partial struct TickSliding
{
    [Key] public long Key;
    [WindowStart] public long StartMs;
    [Count] public long N;
    [Sum(nameof(Tick.I))] public long SumI;
    [Min(nameof(Tick.L))] public long MinL;
    [Max(nameof(Tick.L))] public long MaxL;
    [First(nameof(Tick.L))] public long FirstL;
    [First(nameof(Tick.UL))] public ulong FirstUL;
    [Last(nameof(Tick.I))] public int LastI;
}

/// <summary>
/// A windowed aggregation whose window slot fits one cache line and whose entry (key and slot) is exactly 32
/// bytes: lined, since at its 32-byte stride that costs no memory. Issue 4's Sum-and-Count declaration has this shape.
/// </summary>
[Aggregation(typeof(Tick))]
[TumblingWindow("10ms")]
[Watermark(MaxOutOfOrderness = "20ms")]
[AllowedLateness("5ms")]
public partial struct TickCounts
{
    [Key] public long Key;
    [WindowStart] public long StartMs;
    [Count] public long N;
    [Sum(nameof(Tick.I))] public long SumI;
}

/// <summary>The 32-byte Sum-and-Count slot of <see cref="TickCounts"/> on sliding windows (lined pane tables, dense stacks).</summary>
[Aggregation(typeof(Tick))]
[SlidingWindow("40ms", Slide = "10ms")]
[Watermark(MaxOutOfOrderness = "50ms")]
public partial struct TickCountsSliding
{
    [Key] public long Key;
    [WindowStart] public long StartMs;
    [Count] public long N;
    [Sum(nameof(Tick.I))] public long SumI;
}

/// <summary>A windowed aggregation whose entry (key and a Count's slot) is 24 bytes: packed, as lining it would spread it to 32.</summary>
[Aggregation(typeof(Tick))]
[TumblingWindow("10ms")]
public partial struct TickTally
{
    [Key] public long Key;
    [WindowStart] public long StartMs;
    [Count] public long N;
}

/// <summary>
/// Windowed aggregations on lined direct tables (StateTable's lined mode, one 64-byte line per key's hot
/// fields): the layout is in use for these types (so the GROUP BY comparisons here and in
/// <see cref="WindowedFirstLastTests"/> run on it), and results over many dense keys, many windows (pooled
/// tables primed and reused) and sliding merges equal a GROUP BY.
/// </summary>
public sealed class WindowedLinedTests
{
    [Fact]
    public void PaneTables_AreLined_ForStatesWhoseHotFieldsFitOneLine()
    {
        Assert.True(WindowedAggregator<Tick, long, TickSliding.State, TickSliding, TickSliding.Spec>.PaneTablesLined);
        Assert.True(WindowedAggregator<Tick, long, TickFirsts.State, TickFirsts, TickFirsts.Spec>.PaneTablesLined);
        // A state that fits one line but whose window slot (with the revision and flag) does not: the aggregate gets its own line.
        Assert.True(WindowedAggregator<Tick, long, TickExtremes.State, TickExtremes, TickExtremes.Spec>.PaneTablesLined);
        // A slot that fits one line is lined only where that costs nothing: a 32-byte entry, not a 24-byte one.
        Assert.True(WindowedAggregator<Tick, long, TickCounts.State, TickCounts, TickCounts.Spec>.PaneTablesLined);
        Assert.False(WindowedAggregator<Tick, long, TickTally.State, TickTally, TickTally.Spec>.PaneTablesLined);
    }

    [Theory]
    [InlineData(41, 97)]
    [InlineData(42, 1)]
    [InlineData(43, 4_096)]
    public void TumblingOnLinedSmallSlots_EqualsGroupByOfTheEventsNotLate(int seed, int batch)
    {
        // 3,000 dense keys over 300 ms (thirty windows' worth of pooled, primed tables), a fifth of the events up to
        // 40 ms behind: past the 20 ms bound and the 5 ms lateness some of them are late.
        var input = DenseTicks(new Random(seed), 30_000, keys: 3_000, behindOneIn: 5, maxBehind: 40);
        var sink = new CountRows();
        var op = new WindowedAggregator<Tick, long, TickCounts.State, TickCounts, TickCounts.Spec>(sink, null, new WindowOptions { Clock = new ManualClock() });
        for (var i = 0; i < input.Length; i += batch) op.Apply(input.AsSpan(i, Math.Min(batch, input.Length - i)));
        op.EndOfInput();

        // Derived here, not by the operator: an event is late when its window's end − 1 + 5 ms is at or below the
        // watermark the events before it made (largest time so far − 20 − 1), judged one event at a time.
        var expected = new Dictionary<(long Key, long Start), (long N, long Sum)>();
        long maxT = long.MinValue, late = 0;
        foreach (var e in input)
        {
            var start = e.TimeMs / 10 * 10;
            var w = maxT == long.MinValue ? long.MinValue : maxT - 20 - 1;
            if (start + 10 - 1 + 5 <= w) late++;
            else
            {
                expected.TryGetValue((e.Key, start), out var a);
                expected[(e.Key, start)] = (a.N + 1, a.Sum + e.I);
            }
            maxT = Math.Max(maxT, e.TimeMs);
        }
        Assert.True(late > 0, $"seed {seed}: the input should hold late events");
        Assert.True(late == op.LateEvents, $"seed {seed}: {op.LateEvents} late events, expected {late}");
        AssertRowsEqual(seed, sink.List, expected);
    }

    [Theory]
    [InlineData(31, 97)]
    [InlineData(32, 1)]
    [InlineData(33, 4_096)]
    public void SlidingOnLinedTables_EqualsGroupBy(int seed, int batch)
    {
        // 2,000 dense keys (direct tables), a quarter of the events up to 30 ms behind (bound 50: none late).
        var input = DenseTicks(new Random(seed), 20_000, keys: 2_000, behindOneIn: 4, maxBehind: 30);
        var sink = new Rows();
        var op = new WindowedAggregator<Tick, long, TickSliding.State, TickSliding, TickSliding.Spec>(sink, null, new WindowOptions { Clock = new ManualClock() });
        for (var i = 0; i < input.Length; i += batch) op.Apply(input.AsSpan(i, Math.Min(batch, input.Length - i)));
        op.EndOfInput();
        Assert.Equal(0, op.LateEvents);

        // Each event belongs to the four 40 ms windows starting at multiples of 10 ms in (t − 40, t].
        var expected = input
            .SelectMany(e => Enumerable.Range(0, 4).Select(k => (Start: e.TimeMs / 10 * 10 - 10 * k, Event: e)))
            .Where(x => x.Start >= 0 || x.Start > x.Event.TimeMs - 40)
            .GroupBy(x => (x.Event.Key, x.Start), x => x.Event)
            .ToDictionary(g => g.Key, g =>
            {
                var byTime = g.OrderBy(e => e.TimeMs).ToList();   // stable: arrival order breaks ties
                return new TickSliding
                {
                    Key = g.Key.Key, StartMs = g.Key.Start, N = g.Count(), SumI = g.Sum(e => (long)e.I),
                    MinL = g.Min(e => e.L), MaxL = g.Max(e => e.L),
                    FirstL = byTime[0].L, FirstUL = byTime[0].UL, LastI = byTime[^1].I,
                };
            });
        Assert.True(sink.List.Count == expected.Count, $"seed {seed}: {sink.List.Count} rows, expected {expected.Count}");
        foreach (var row in sink.List)
        {
            Assert.True(expected.TryGetValue((row.Key, row.StartMs), out var e), $"seed {seed}: unexpected row {row.Key}@{row.StartMs}");
            Assert.True(e.Equals(row), $"seed {seed}: {row.Key}@{row.StartMs}: n={row.N} sum={row.SumI} min={row.MinL} max={row.MaxL} first={row.FirstL}/{row.FirstUL} last={row.LastI}, expected n={e.N} sum={e.SumI} min={e.MinL} max={e.MaxL} first={e.FirstL}/{e.FirstUL} last={e.LastI}");
        }
    }

    /// <summary>
    /// Windows of 40 ms every 10 ms over the 32-byte Sum-and-Count slot (lined), on arrays filled with a stale pattern
    /// first (<see cref="LinedEntries.FillNewArraysForTests"/>): the panes' merges and the dense stacks read no empty
    /// slot's bytes, and the rows equal a GROUP BY.
    /// </summary>
    [Theory]
    [InlineData(51, 97)]
    [InlineData(52, 4_096)]
    public void SlidingOnLinedSmallSlots_OverStaleMemory_EqualsGroupBy(int seed, int batch)
    {
        LinedEntries.FillNewArraysForTests = true;
        Assert.True(WindowedAggregator<Tick, long, TickCountsSliding.State, TickCountsSliding, TickCountsSliding.Spec>.PaneTablesLined);
        // 2,000 dense keys (direct tables), a quarter of the events up to 30 ms behind (bound 50: none late).
        var input = DenseTicks(new Random(seed), 20_000, keys: 2_000, behindOneIn: 4, maxBehind: 30);
        var sink = new SlidingCountRows();
        var op = new WindowedAggregator<Tick, long, TickCountsSliding.State, TickCountsSliding, TickCountsSliding.Spec>(sink, null, new WindowOptions { Clock = new ManualClock() });
        for (var i = 0; i < input.Length; i += batch) op.Apply(input.AsSpan(i, Math.Min(batch, input.Length - i)));
        op.EndOfInput();
        Assert.Equal(0, op.LateEvents);

        var expected = new Dictionary<(long Key, long Start), (long N, long Sum)>();
        foreach (var e in input)
        {
            for (var k = 0; k < 4; k++)
            {
                var start = e.TimeMs / 10 * 10 - 10 * k;
                expected.TryGetValue((e.Key, start), out var a);
                expected[(e.Key, start)] = (a.N + 1, a.Sum + e.I);
            }
        }
        AssertRowsEqual(seed, sink.List, expected);
    }

    /// <summary>
    /// <paramref name="n"/> ticks over <paramref name="keys"/> dense keys, a millisecond per 100 events, one in
    /// <paramref name="behindOneIn"/> up to <paramref name="maxBehind"/> ms behind (never before 0).
    /// </summary>
    private static Tick[] DenseTicks(Random rng, int n, int keys, int behindOneIn, int maxBehind)
    {
        var input = new Tick[n];
        for (var i = 0; i < input.Length; i++)
        {
            var t = (long)(i / 100);
            if (rng.Next(behindOneIn) == 0) t = Math.Max(0, t - rng.Next(0, maxBehind + 1));
            input[i] = Tick.Random(rng, key: rng.Next(keys), timeMs: t, extreme: false);
        }
        return input;
    }

    private static void AssertRowsEqual(int seed, List<TickCounts> rows, Dictionary<(long Key, long Start), (long N, long Sum)> expected)
        => AssertRowsEqual(seed, rows.Select(r => (r.Key, r.StartMs, r.N, r.SumI, true)).ToList(), expected);

    private static void AssertRowsEqual(int seed, List<(long Key, long Start, long N, long Sum, bool Final)> rows, Dictionary<(long Key, long Start), (long N, long Sum)> expected)
    {
        Assert.True(rows.Count == expected.Count, $"seed {seed}: {rows.Count} rows, expected {expected.Count}");
        // One final row per (key, window): a duplicate paired with a missing row would pass the count and the lookups.
        Assert.Equal(rows.Count, rows.Select(r => (r.Key, r.Start)).Distinct().Count());
        foreach (var row in rows)
        {
            Assert.True(row.Final, $"seed {seed}: {row.Key}@{row.Start} not final");
            Assert.True(expected.TryGetValue((row.Key, row.Start), out var e), $"seed {seed}: unexpected row {row.Key}@{row.Start}");
            Assert.True(e == (row.N, row.Sum), $"seed {seed}: {row.Key}@{row.Start}: n={row.N} sum={row.Sum}, expected n={e.N} sum={e.Sum}");
        }
    }

    private sealed class CountRows : IRowSink<TickCounts>
    {
        public List<TickCounts> List { get; } = [];

        public void OnRow(in TickCounts row, in RowRevision revision)
        {
            Assert.True(revision.IsFinal && revision.Revision == 0, "Final emits one final row per window");
            List.Add(row);
        }
    }

    private sealed class SlidingCountRows : IRowSink<TickCountsSliding>
    {
        public List<(long Key, long StartMs, long N, long SumI, bool Final)> List { get; } = [];

        public void OnRow(in TickCountsSliding row, in RowRevision revision)
            => List.Add((row.Key, row.StartMs, row.N, row.SumI, revision.IsFinal && revision.Revision == 0));
    }

    private sealed class Rows : IRowSink<TickSliding>
    {
        public List<TickSliding> List { get; } = [];

        public void OnRow(in TickSliding row, in RowRevision revision) => List.Add(row);
    }
}
