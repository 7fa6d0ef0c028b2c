using System.Buffers;
using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// Sliding windows (fired through the two-stacks pane aggregation) against a brute-force oracle that
/// walks every window of every event: random events, several size/slide pairs (pane = their gcd),
/// out-of-order arrivals within the bound, events held back far longer (late and allowed-late, which
/// change panes the stacks already hold), and a snapshot rewind that restores an operator mid-stream.
/// </summary>
public sealed class SlidingPaneOracleTests
{
    private const long Bound = 40;
    private const long Offset = 3;

    public static TheoryData<int, long, long, long, EmitMode> Cases()
    {
        var data = new TheoryData<int, long, long, long, EmitMode>();
        var seed = 4_100;
        foreach (var (size, slide) in new (long, long)[] { (100, 10), (100, 30), (90, 60), (60, 45), (120, 1) })
            foreach (var lateness in new long[] { 0, 150 })
                foreach (var emit in new[] { EmitMode.Final, EmitMode.OnWindowClose })
                    data.Add(seed++, size, slide, lateness, emit);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sliding_EqualsBruteForceOracle(int seed, long size, long slide, long lateness, EmitMode emit)
    {
        var rng = new Random(seed);
        var arrivals = Arrivals(rng, 5_000);
        var sink = new RowCollector();
        var op = NewOperator(sink, size, slide, lateness, emit);
        for (var i = 0; i < arrivals.Length;)
        {
            var n = Math.Min(arrivals.Length - i, rng.Next(1, 150));
            op.Apply(arrivals.AsSpan(i, n));
            i += n;
        }
        op.EndOfInput();

        var (expected, late) = Oracle(arrivals, size, slide, lateness);
        Assert.True(late > 0, $"seed {seed}: the input produced no late events");
        Assert.True(late == op.LateEvents, $"seed {seed}: late events {op.LateEvents}, oracle {late}");
        AssertRows(seed, expected, sink.Latest());
        if (emit == EmitMode.Final) Assert.True(sink.Rows.Count == expected.Count, $"seed {seed}: Final emits once per (key, window)");
        Assert.Equal(0, op.OpenBuckets);
    }

    /// <summary>
    /// Final without lateness fires through the dense stacks (WindowedAggregator.DenseStacks.cs) while every
    /// pane is direct: here the keys go from 12 to 700 (the direct tables grow, so the dense entries widen)
    /// and then a few huge ids make some panes hashed (their windows fire through the table stacks, and the
    /// next all-direct window switches back). The rows must equal the oracle's throughout; with lateness 60
    /// (table stacks only) too.
    /// </summary>
    [Theory]
    [InlineData(4_300, 100L, 10L, 0L)]
    [InlineData(4_301, 90L, 30L, 0L)]
    [InlineData(4_302, 100L, 10L, 60L)]
    public void Sliding_DenseAndHashedPanes_EqualsOracle(int seed, long size, long slide, long lateness)
    {
        var rng = new Random(seed);
        const int n = 9_000;
        var arrivals = Arrivals(rng, n, (r, i) => i < n / 3 ? r.Next(12) : i < 2 * n / 3 ? r.Next(700) : r.Next(40) == 0 ? 5_000_000_000L + r.Next(3) : r.Next(700));
        var sink = new RowCollector();
        var op = NewOperator(sink, size, slide, lateness, EmitMode.Final);
        for (var i = 0; i < arrivals.Length;)
        {
            var step = Math.Min(arrivals.Length - i, rng.Next(1, 150));
            op.Apply(arrivals.AsSpan(i, step));
            i += step;
        }
        op.EndOfInput();

        var (expected, late) = Oracle(arrivals, size, slide, lateness);
        Assert.True(late == op.LateEvents, $"seed {seed}: late events {op.LateEvents}, oracle {late}");
        Assert.Contains(arrivals, o => o.ProductId > 1_000_000);
        AssertRows(seed, expected, sink.Latest());
        Assert.True(sink.Rows.Count == expected.Count, $"seed {seed}: Final emits once per (key, window)");
        Assert.Equal(0, op.OpenBuckets);
    }

    /// <summary>
    /// Runs ahead, restores an earlier snapshot into the same operator (whose stacks then hold later
    /// panes) and replays from there: Final rows must still equal the oracle's.
    /// </summary>
    [Theory]
    [InlineData(4_200, 100L, 10L)]
    [InlineData(4_201, 90L, 60L)]
    public void Sliding_RestoreIntoUsedOperator_EqualsOracle(int seed, long size, long slide)
    {
        var rng = new Random(seed);
        var arrivals = Arrivals(rng, 4_000);
        var sink = new RowCollector();
        var op = NewOperator(sink, size, slide, lateness: 60, EmitMode.Final);
        var checkpoint = 1_500;
        op.Apply(arrivals.AsSpan(0, checkpoint));
        var snapshot = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(snapshot);
        var rowsAtCheckpoint = sink.Rows.Count;
        op.Apply(arrivals.AsSpan(checkpoint, 1_500));
        Assert.True(sink.Rows.Count > rowsAtCheckpoint, $"seed {seed}: no window fired between checkpoint and restore");
        op.RestoreSnapshot(snapshot.WrittenSpan);
        sink.Rows.RemoveRange(rowsAtCheckpoint, sink.Rows.Count - rowsAtCheckpoint);   // rewound: those rows are replayed
        op.Apply(arrivals.AsSpan(checkpoint));
        op.EndOfInput();

        var (expected, _) = Oracle(arrivals, size, slide, lateness: 60);
        AssertRows(seed, expected, sink.Latest());
        Assert.Equal(0, op.OpenBuckets);
    }

    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> NewOperator(
        RowCollector sink, long size, long slide, long lateness, EmitMode emit) =>
        new(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = size, SlideMs = slide, OffsetMs = Offset },
            MaxOutOfOrdernessMs = Bound, AllowedLatenessMs = lateness, Emit = emit, Clock = new ManualClock(),
        });

    private static void AssertRows(int seed, Dictionary<(long, long, long), (long, long, long, long)> expected, Dictionary<(long Key, long Start, long End), RevenueRow> actual)
    {
        Assert.True(expected.Count == actual.Count, $"seed {seed}: {actual.Count} (key, window) rows, oracle {expected.Count}");
        foreach (var (k, e) in expected)
        {
            Assert.True(actual.TryGetValue(k, out var row), $"seed {seed}: missing row {k}");
            Assert.True(e == (row.RevenueCents, row.Orders, row.Cheapest, row.Dearest), $"seed {seed}: row {k}: {row} vs oracle {e}");
        }
    }

    /// <summary>Events in time order plus a delay: most within the bound, 1 in 15 held back up to 500 ms.</summary>
    private static Order[] Arrivals(Random rng, int n, Func<Random, int, long>? key = null)
    {
        var events = new List<(long At, Order Order)>(n);
        long t = 500;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 4);
            var price = rng.Next(12) == 0 ? 0 : rng.Next(1, 500);   // unpaid ones are filtered out
            var order = Order.Of(key is null ? rng.Next(12) : key(rng, i), t, price, rng.Next(1, 4), i);
            var delay = rng.Next(15) == 0 ? rng.Next(0, 500) : rng.Next(0, (int)Bound + 1);
            events.Add((t + delay, order));
        }
        return events.OrderBy(e => e.At).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();
    }

    /// <summary>
    /// Every window [s, s + size) with s ≡ offset (mod slide) that holds the event's time counts it,
    /// unless the watermark before it (largest earlier time − bound − 1) has reached s + size − 1 + lateness.
    /// </summary>
    private static (Dictionary<(long, long, long), (long, long, long, long)> Rows, long Late) Oracle(
        Order[] arrivals, long size, long slide, long lateness)
    {
        var acc = new Dictionary<(long, long, long), (long Rev, long N, long Min, long Max)>();
        long maxSeen = long.MinValue, late = 0;
        foreach (var o in arrivals)
        {
            var watermark = maxSeen == long.MinValue ? long.MinValue : maxSeen - Bound - 1;
            maxSeen = Math.Max(maxSeen, o.TimestampMs);
            if (!o.IsPaid) continue;
            var counted = false;
            // Brute force: every aligned start from well before the event to the event itself.
            var first = o.TimestampMs - size - slide;
            first -= ((first - Offset) % slide + slide) % slide;
            for (var s = first; s <= o.TimestampMs; s += slide)
            {
                if (o.TimestampMs < s || o.TimestampMs >= s + size) continue;
                if (s + size - 1 + lateness <= watermark) continue;
                counted = true;
                var key = (o.ProductId, s, s + size);
                var a = acc.GetValueOrDefault(key, (0, 0, long.MaxValue, long.MinValue));
                acc[key] = (a.Rev + o.RevenueCents, a.N + 1, Math.Min(a.Min, o.PriceCents), Math.Max(a.Max, o.PriceCents));
            }
            if (!counted) late++;
        }
        return (acc.ToDictionary(p => p.Key, p => (p.Value.Rev, p.Value.N, p.Value.Min, p.Value.Max)), late);
    }
}
