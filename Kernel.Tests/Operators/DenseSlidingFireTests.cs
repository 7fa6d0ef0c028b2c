using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// The dense sliding stacks' one-pass steps (WindowedAggregator.DenseStacks.cs): a fire pushes the window's
/// newest pane onto the back while it emits, 64 keys at a time, and a flip writes each suffix from the newer
/// suffix and its pane in one pass. The keys are laid out so that every branch of those passes runs: runs of
/// 64 keys held by every stack entry (the unrolled paths), words where only some keys are held, groups of
/// eight keys present in some panes only (held by the newer suffix and not the pane, or the reverse, or by the
/// back alone), and a key range that grows mid-stream (panes of 16 slots, then of more; the stacks widen).
/// Final without lateness, arrivals out of order within the bound (no late events): the rows must equal a
/// GROUP BY per (key, window), one row each.
/// </summary>
public sealed class DenseSlidingFireTests
{
    private const long Bound = 15;

    [Theory]
    [InlineData(5_100, 100L, 10L)]
    [InlineData(5_101, 60L, 20L)]
    [InlineData(5_102, 40L, 40L / 4)]
    public void DenseFires_EqualGroupBy(int seed, long size, long slide)
    {
        var rng = new Random(seed);
        var arrivals = Arrivals(rng, 160_000, slide);
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = size, SlideMs = slide },
            MaxOutOfOrdernessMs = Bound, AllowedLatenessMs = 0, Emit = EmitMode.Final, Clock = new ManualClock(),
        });
        for (var i = 0; i < arrivals.Length;)
        {
            var n = Math.Min(arrivals.Length - i, rng.Next(1, 5_000));
            op.Apply(arrivals.AsSpan(i, n));
            i += n;
        }
        op.EndOfInput();

        Assert.Equal(0, op.LateEvents);
        var expected = GroupBy(arrivals, size, slide);
        Assert.True(sink.Rows.Count == expected.Count, $"seed {seed}: {sink.Rows.Count} rows, GROUP BY {expected.Count} (key, window) groups");
        Assert.Equal(sink.Rows.Count, op.RowsEmitted);
        var actual = sink.Latest();
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (k, e) in expected)
        {
            Assert.True(actual.TryGetValue(k, out var row), $"seed {seed}: missing row {k}");
            Assert.True(e == (row.RevenueCents, row.Orders, row.Cheapest, row.Dearest), $"seed {seed}: row {k}: {row} vs GROUP BY {e}");
        }
        Assert.True(sink.Rows.All(r => r.Revision.IsFinal && r.Revision.Revision == 0), $"seed {seed}: Final rows are final, revision 0");
    }

    /// <summary>
    /// About 100 events a millisecond (a pane of 10 ms holds about 1,000), each delayed by up to the bound. Keys:
    /// the first 40th of the stream (less than a window) within 0..11 (16-slot panes); then half of the events on keys 0..63 (a full
    /// run of 64 in nearly every pane), the rest on every third key of 64..255 (partial words), on a group of
    /// eight keys from 512 on that changes with the slide (present in some panes only), and on one key of
    /// 800..839 that changes every third slide (held by a few panes, then none).
    /// </summary>
    private static Order[] Arrivals(Random rng, int n, long slide)
    {
        var events = new List<(long At, Order Order)>(n);
        long t = 1_000;
        for (var i = 0; i < n; i++)
        {
            if (rng.Next(100) == 0) t++;
            long key = i < n / 40
                ? rng.Next(12)
                : rng.Next(8) switch
                {
                    < 4 => rng.Next(64),
                    4 or 5 => 64 + 3 * rng.Next(64),
                    6 => 512 + (t / slide % 6) * 8 + rng.Next(8),
                    _ => 800 + t / (3 * slide) % 40,
                };
            var price = rng.Next(12) == 0 ? 0 : rng.Next(1, 500);   // unpaid ones are filtered out
            var order = Order.Of(key, t, price, rng.Next(1, 4), i);
            events.Add((t + rng.Next(0, (int)Bound + 1), order));
        }
        return events.OrderBy(e => e.At).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();
    }

    /// <summary>Revenue, count, cheapest and dearest price per (key, window start, window end) over the paid events: every window [s, s + size) with s ≡ 0 (mod slide) holding the event's time.</summary>
    private static Dictionary<(long, long, long), (long, long, long, long)> GroupBy(Order[] events, long size, long slide)
    {
        var acc = new Dictionary<(long, long, long), (long Rev, long N, long Min, long Max)>();
        foreach (var o in events)
        {
            if (!o.IsPaid) continue;
            var last = o.TimestampMs - o.TimestampMs % slide;
            for (var s = last; s > o.TimestampMs - size; s -= slide)
            {
                var key = (o.ProductId, s, s + size);
                var a = acc.GetValueOrDefault(key, (0, 0, long.MaxValue, long.MinValue));
                acc[key] = (a.Rev + o.RevenueCents, a.N + 1, Math.Min(a.Min, o.PriceCents), Math.Max(a.Max, o.PriceCents));
            }
        }
        return acc.ToDictionary(p => p.Key, p => (p.Value.Rev, p.Value.N, p.Value.Min, p.Value.Max));
    }
}
