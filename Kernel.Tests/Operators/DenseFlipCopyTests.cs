using System.Buffers;
using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// The dense sliding stacks' pane copies (WindowedAggregator.DenseStacks.cs): a fire copies the pane it pushes,
/// and the flip turns those copies into the front suffixes in place instead of reading the panes again; in the
/// steady case (pane, back and oldest suffix holding all 64 keys of a word) the copy, the push and the row are
/// one pass per key. Windows of 40 ms sliding by 10 (four panes a window, a flip every four fires), no
/// out-of-orderness, Final without lateness. Key k's event in pane p is at 10p + k mod 10 with price
/// 1 + k + 1,000p, so the row of key k in window [10q, 10q + 40) has the closed form: one order and
/// 1 + k + 1,000p of revenue per pane p of q..q+3 that exists and holds k. Keys 0..127 are in every pane (two
/// full words: the fused path), key 200 + p mod 3 and key 333 (even panes only) are sparse.
/// </summary>
public sealed class DenseFlipCopyTests
{
    private const long Size = 40;
    private const long Slide = 10;
    private const int Panes = 20;
    private const long HugeKey = 5_000_000_000;

    [Fact]
    public void FlipFromCopies_HandDerivedRows()
    {
        var sink = new RowCollector();
        var op = NewOperator(sink);
        Feed(op, Events(withHugeKey: false));
        op.EndOfInput();

        var rows = Index(sink);
        // Spot values worked out by hand: key 5 in [0, 40) holds panes 0..3: 4 × (1 + 5) + 1,000 × (0 + 1 + 2 + 3).
        Assert.Equal((6_024L, 4L), rows[(5, 0, 40)]);
        // Key 127 in [60, 100): panes 6..9: 4 × 128 + 1,000 × 30 (after the second flip: suffix from copies ⊕ back).
        Assert.Equal((30_512L, 4L), rows[(127, 60, 100)]);
        // Key 64 (second word) in [-30, 10): pane 0 only: 65.
        Assert.Equal((65L, 1L), rows[(64, -30, 10)]);
        // Key 333 (even panes) in [130, 170): panes 14 and 16: 2 × 334 + 1,000 × 30.
        Assert.Equal((30_668L, 2L), rows[(333, 130, 170)]);
        // Key 201 (panes p ≡ 1 mod 3) in [90, 130): panes 10 only of 9..12 (9 ≡ 0, 10 ≡ 1, 11 ≡ 2, 12 ≡ 0): 202 + 10,000.
        Assert.Equal((10_202L, 1L), rows[(201, 90, 130)]);
        // Key 199 is never sent.
        Assert.DoesNotContain(rows.Keys, k => k.Key == 199);

        AssertClosedForm(rows, lateKeyWindows: null);
        Assert.Equal(sink.Rows.Count, op.RowsEmitted);
        Assert.Equal(0, op.LateEvents);
    }

    /// <summary>
    /// A huge key in pane 9 makes that pane hashed: the windows holding it fire through the table stacks, the
    /// windows around them through the dense ones (the stacks switch mode twice, dropping the copies).
    /// </summary>
    [Fact]
    public void HugeKeyPane_SwitchesStacks_RowsStayExact()
    {
        var sink = new RowCollector();
        var op = NewOperator(sink);
        Feed(op, Events(withHugeKey: true));
        op.EndOfInput();

        var rows = Index(sink);
        // The huge key's one event (price 77, pane 9) is in the four windows starting at 60, 70, 80, 90.
        foreach (var s in new long[] { 60, 70, 80, 90 }) Assert.Equal((77L, 1L), rows[(HugeKey, s, s + Size)]);
        Assert.Equal(4, rows.Keys.Count(k => k.Key == HugeKey));
        rows = rows.Where(r => r.Key.Key != HugeKey).ToDictionary(r => r.Key, r => r.Value);
        AssertClosedForm(rows, lateKeyWindows: null);
    }

    /// <summary>
    /// An event for pane 12 after the window [100, 140) (which holds it) fired, but before the windows starting at
    /// 110 and 120 did: pane 12 was pushed and copied, then changed. The stacks must be rebuilt from the panes
    /// (a stale copy would miss it): the two later windows count it, the fired ones do not.
    /// </summary>
    [Fact]
    public void PaneChangedAfterItsCopy_RebuildsTheStacks()
    {
        var sink = new RowCollector();
        var op = NewOperator(sink);
        var events = Events(withHugeKey: false).ToList();
        // Right after the first event of pane 14 (watermark 139: windows up to [100, 140) fired).
        var at = events.FindIndex(e => e.TimestampMs >= 140) + 1;
        events.Insert(at, Order.Of(7, 125, priceCents: 50_000, quantity: 1, orderId: 999_999));
        Feed(op, events.ToArray());
        op.EndOfInput();

        Assert.Equal(0, op.LateEvents);
        var rows = Index(sink);
        // Key 7 in [110, 150): panes 11..14: 4 × 8 + 1,000 × 50, plus the late-arriving 50,000 (a fifth order).
        Assert.Equal((100_032L, 5L), rows[(7, 110, 150)]);
        Assert.Equal((104_032L, 5L), rows[(7, 120, 160)]);
        // Fired before it arrived: without it.
        Assert.Equal((46_032L, 4L), rows[(7, 100, 140)]);
        AssertClosedForm(rows, lateKeyWindows: [110, 120]);
    }

    /// <summary>
    /// A checkpoint between flips (the back holds pane copies, the front suffixes made from copies), restored into
    /// a new operator and into the operator that ran ahead (whose stacks then hold later panes): the rows after the
    /// checkpoint are those of an uninterrupted run.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RestoreBetweenFlips_RowsStayExact(bool intoUsedOperator)
    {
        var events = Events(withHugeKey: false);
        // Up to pane 10's first events: windows up to [60, 100) fired, two fires after the flip at [40, 80).
        var checkpoint = Array.FindIndex(events, e => e.TimestampMs >= 101);
        var sink = new RowCollector();
        var op = NewOperator(sink);
        Feed(op, events.AsSpan(0, checkpoint).ToArray());
        var snapshot = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(snapshot);
        var rowsAtCheckpoint = sink.Rows.Count;
        Assert.True(rowsAtCheckpoint > 0, "windows fired before the checkpoint");

        WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> resumed;
        if (intoUsedOperator)
        {
            Feed(op, events.AsSpan(checkpoint, 600).ToArray());
            Assert.True(sink.Rows.Count > rowsAtCheckpoint, "windows fired after the checkpoint before the restore");
            sink.Rows.RemoveRange(rowsAtCheckpoint, sink.Rows.Count - rowsAtCheckpoint);   // rewound: replayed below
            resumed = op;
        }
        else resumed = NewOperator(sink);
        resumed.RestoreSnapshot(snapshot.WrittenSpan);
        Feed(resumed, events.AsSpan(checkpoint).ToArray());
        resumed.EndOfInput();

        AssertClosedForm(Index(sink), lateKeyWindows: null);
    }

    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> NewOperator(RowCollector sink) =>
        new(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = Size, SlideMs = Slide },
            MaxOutOfOrdernessMs = 0, AllowedLatenessMs = 0, Emit = EmitMode.Final, Clock = new ManualClock(),
        });

    /// <summary>Batches of 97 (so that fires fall inside batches).</summary>
    private static void Feed(WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> op, Order[] events)
    {
        for (var i = 0; i < events.Length; i += 97) op.Apply(events.AsSpan(i, Math.Min(97, events.Length - i)));
    }

    /// <summary>The keys pane <paramref name="p"/> holds (besides the huge one).</summary>
    private static IEnumerable<long> KeysOf(int p)
    {
        for (long k = 0; k < 128; k++) yield return k;
        yield return 200 + p % 3;
        if (p % 2 == 0) yield return 333;
    }

    private static Order[] Events(bool withHugeKey)
    {
        var events = new List<Order>();
        for (var p = 0; p < Panes; p++)
        {
            foreach (var k in KeysOf(p)) events.Add(Order.Of(k, 10L * p + k % 10, priceCents: 1 + k + 1_000L * p, quantity: 1, orderId: events.Count));
            if (withHugeKey && p == 9) events.Add(Order.Of(HugeKey, 95, priceCents: 77, quantity: 1, orderId: events.Count));
        }
        return events.OrderBy(e => e.TimestampMs).ThenBy(e => e.OrderId).ToArray();
    }

    private static Dictionary<(long Key, long Start, long End), (long Revenue, long Orders)> Index(RowCollector sink)
    {
        var rows = new Dictionary<(long, long, long), (long, long)>();
        foreach (var (row, revision) in sink.Rows)
        {
            Assert.True(revision.IsFinal && revision.Revision == 0, $"row {row.ProductId}@{row.WindowStartMs}: Final rows are final, revision 0");
            Assert.True(rows.TryAdd((row.ProductId, row.WindowStartMs, row.WindowEndMs), (row.RevenueCents, row.Orders)),
                $"row {row.ProductId}@{row.WindowStartMs} emitted twice");
        }
        return rows;
    }

    /// <summary>
    /// Every (key, window) row by the closed form (the class summary), exactly the rows expected and no others;
    /// key 7's rows in the windows starting at <paramref name="lateKeyWindows"/> also hold the 50,000 event.
    /// </summary>
    private static void AssertClosedForm(Dictionary<(long Key, long Start, long End), (long Revenue, long Orders)> rows, long[]? lateKeyWindows)
    {
        var expected = 0;
        for (var q = -3; q < Panes; q++)
        {
            var start = 10L * q;
            var keys = new HashSet<long>();
            for (var p = Math.Max(q, 0); p <= Math.Min(q + 3, Panes - 1); p++) keys.UnionWith(KeysOf(p));
            foreach (var k in keys)
            {
                long revenue = 0, orders = 0;
                for (var p = Math.Max(q, 0); p <= Math.Min(q + 3, Panes - 1); p++)
                {
                    if (!KeysOf(p).Contains(k)) continue;
                    revenue += 1 + k + 1_000L * p;
                    orders++;
                }
                if (k == 7 && lateKeyWindows is not null && lateKeyWindows.Contains(start))
                {
                    revenue += 50_000;
                    orders++;
                }
                Assert.True(rows.TryGetValue((k, start, start + Size), out var row), $"missing row {k}@{start}");
                Assert.True(row == (revenue, orders), $"row {k}@{start}: {row}, expected {(revenue, orders)}");
                expected++;
            }
        }
        Assert.Equal(expected, rows.Count);
    }
}
