using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// The batch path's count of the primed slots its direct loops claim (WindowedAggregator.Panes.cs, ApplyPanes): loops
/// on one pane separated only by events folded into the older pane share one count of the held primed slots before
/// the first of them and one after the last. Windows of 40 ms sliding by 10 (panes of 10), out-of-orderness 20 (no
/// window fires while the events below arrive), 32 direct slots of which the first 16 are primed. Pane 0 takes keys
/// 0..7 (price 1); pane 1 takes keys 0..9 and 20 (price 10, key 20 outside the primed slots), with three events for
/// pane 0 (price 100, keys 1, 2, 3, each held there) among them, and five more pane-1 events on held keys.
/// The (key, pane) entries held are then 8 + 11 = 19, however the events are cut into batches.
/// </summary>
public sealed class SlidingOlderPaneCountS17Tests
{
    [Fact]
    public void OneBatch_EntriesCountEveryClaimAcrossOlderPaneEvents()
    {
        var sink = new RowCollector();
        var op = NewOperator(sink);
        op.Apply(Events());
        Assert.Equal(19, op.StateEntries);
        Assert.Equal(2, op.OpenBuckets);   // the two panes
        Assert.Empty(sink.Rows);            // nothing fired yet
        op.EndOfInput();
        AssertRows(sink);
        Assert.Equal(0, op.LateEvents);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(12)]
    public void AnyBatches_SameEntriesAndRows(int batch)
    {
        var sink = new RowCollector();
        var op = NewOperator(sink);
        var events = Events();
        for (var i = 0; i < events.Length; i += batch)
        {
            op.Apply(events.AsSpan(i, Math.Min(batch, events.Length - i)));
            Assert.Equal(EntriesAfter(i + Math.Min(batch, events.Length - i)), op.StateEntries);
        }
        op.EndOfInput();
        AssertRows(sink);
    }

    /// <summary>A second batch on the same panes: the held keys stay held, the count does not move.</summary>
    [Fact]
    public void RepeatedEvents_NoNewEntries()
    {
        var sink = new RowCollector();
        var op = NewOperator(sink);
        var events = Events();
        op.Apply(events);
        op.Apply(events.AsSpan(events.Length - 5));   // five more pane-1 events on held keys 0..4 (time 19)
        Assert.Equal(19, op.StateEntries);
    }

    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> NewOperator(RowCollector sink) =>
        new(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 40, SlideMs = 10 },
            MaxOutOfOrdernessMs = 20, AllowedLatenessMs = 0, Emit = EmitMode.Final, Clock = new ManualClock(),
            InitialCapacity = 16,   // 32 slots, 16 primed
        });

    private static Order[] Events()
    {
        var e = new List<Order>();
        void Add(long key, long t, long price) => e.Add(Order.Of(key, t, priceCents: price, quantity: 1, orderId: e.Count));
        for (var k = 0; k < 8; k++) Add(k, k, 1);   // pane 0
        Add(0, 10, 10);
        Add(1, 11, 10);
        Add(2, 12, 10);
        Add(1, 8, 100);   // pane 0, key 1 held there
        Add(3, 13, 10);
        Add(4, 14, 10);
        Add(5, 15, 10);
        Add(2, 9, 100);   // pane 0
        Add(6, 16, 10);
        Add(7, 17, 10);
        Add(20, 17, 10);  // outside the primed slots
        Add(8, 18, 10);
        Add(3, 8, 100);   // pane 0
        Add(9, 19, 10);
        Add(9, 19, 10);
        for (var k = 0; k < 5; k++) Add(k, 19, 10);
        return e.ToArray();
    }

    /// <summary>The entries held after the first <paramref name="n"/> events (worked out from <see cref="Events"/> by hand).</summary>
    private static long EntriesAfter(int n) => n switch
    {
        <= 8 => n,                  // keys 0..7 of pane 0
        <= 11 => n,                 // pane 1's keys 0, 1, 2
        12 => 11,                   // key 1 of pane 0 again
        <= 15 => n - 1,             // keys 3, 4, 5
        16 => 14,                   // key 2 of pane 0 again
        <= 20 => n - 2,             // keys 6, 7, 20, 8
        21 => 18,                   // key 3 of pane 0 again
        _ => 19,                    // key 9, then held keys only
    };

    private static void AssertRows(RowCollector sink)
    {
        var rows = sink.Latest();
        // [-30, 10): pane 0 only. Key 1: 1 + 100 (the older-pane event at 8), two orders; key 7: 1.
        Assert.Equal((101L, 2L), (rows[(1, -30, 10)].RevenueCents, rows[(1, -30, 10)].Orders));
        Assert.Equal((101L, 2L), (rows[(3, -30, 10)].RevenueCents, rows[(3, -30, 10)].Orders));
        Assert.Equal((1L, 1L), (rows[(7, -30, 10)].RevenueCents, rows[(7, -30, 10)].Orders));
        // [0, 40): panes 0 and 1. Key 1: 101 + 10 (t 11) + 10 (t 19) = 121, four orders; key 2 the same.
        Assert.Equal((121L, 4L), (rows[(1, 0, 40)].RevenueCents, rows[(1, 0, 40)].Orders));
        Assert.Equal((121L, 4L), (rows[(2, 0, 40)].RevenueCents, rows[(2, 0, 40)].Orders));
        // Key 5: 1 + 10; key 9: 10 + 10 (pane 1 only); key 20: 10.
        Assert.Equal((11L, 2L), (rows[(5, 0, 40)].RevenueCents, rows[(5, 0, 40)].Orders));
        Assert.Equal((20L, 2L), (rows[(9, 0, 40)].RevenueCents, rows[(9, 0, 40)].Orders));
        Assert.Equal((10L, 1L), (rows[(20, 0, 40)].RevenueCents, rows[(20, 0, 40)].Orders));
        // [10, 50): pane 1 only. Key 0: 10 (t 10) + 10 (t 19); key 8: 10.
        Assert.Equal((20L, 2L), (rows[(0, 10, 50)].RevenueCents, rows[(0, 10, 50)].Orders));
        Assert.Equal((10L, 1L), (rows[(8, 10, 50)].RevenueCents, rows[(8, 10, 50)].Orders));
        Assert.False(rows.ContainsKey((9, -30, 10)));
        // [-30, 10): pane 0's 8 keys; [-20, 20), [-10, 30), [0, 40): the 11 keys of both panes; [10, 50): pane 1's 11.
        Assert.Equal(8 + 3 * 11 + 11, rows.Count);
    }
}
