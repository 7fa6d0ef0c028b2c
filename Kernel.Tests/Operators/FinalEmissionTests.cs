using System.Buffers;
using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;
using Daily = Kernel.Operators.WindowedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.RevenueState,
    Kernel.Tests.Operators.Specs.RevenueRow, Kernel.Tests.Operators.Specs.DailyRevenueSpec>;

namespace Kernel.Tests.Operators;

/// <summary>
/// The rows a released window emits (WindowedAggregator.Emission.cs: a direct table's slots walked by their
/// control bytes, key = slot index, one shared revision, the slots not written): every key held exactly once,
/// no key of an earlier window whose table the pool handed on, the right key, values, revision number, final
/// flag and watermark, on direct tables (sparse keys, keys past the primed slots), hashed tables, with
/// allowed lateness and after a restore. Tumbling windows of 100 ms, a watermark bound of 0 (W = largest
/// time − 1), so [s, s + 100) fires at the first event of time ≥ s + 100. Every expected row is written out
/// by hand from the events.
/// </summary>
public sealed class FinalEmissionTests
{
    private static Daily NewOperator(RowCollector sink, EmitMode emit, long lateness) => new(sink, null, new WindowOptions
    {
        Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 100, SlideMs = 100 },
        MaxOutOfOrdernessMs = 0, AllowedLatenessMs = lateness, Emit = emit,
        InitialCapacity = 16,   // 32 slots, 16 of them primed: most keys below lie past the primed range
        Clock = new ManualClock(),
    });

    private static long _orderId;

    private static Order O(long key, long t, long price) => Order.Of(key, t, price, orderId: Interlocked.Increment(ref _orderId));

    private static string[] Sorted(IEnumerable<string> lines) => lines.Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void DirectTable_SparseKeys_EmitsEveryKeyOnce_InKeyOrder_AndNoKeyOfAnEarlierWindow()
    {
        var sink = new RowCollector();
        var op = NewOperator(sink, EmitMode.Final, 0);

        // [0, 100): keys 0..700, sparse, most past the 16 primed slots; 3 and 700 twice.
        var first3 = O(3, 2, 7);
        var last3 = O(3, 4, 13);
        op.Apply([O(700, 1, 5), first3, O(0, 3, 11), last3, O(64, 5, 17), O(63, 6, 19), O(8, 7, 23), O(17, 8, 29), O(700, 9, 31), O(16, 10, 37)]);
        Assert.Empty(sink.Rows);
        op.Apply([O(3, 100, 41)]);   // W = 99: [0, 100) fires and, without lateness, is released
        Assert.Equal(
            ["0@0-100:1/11 r0F", "3@0-100:2/20 r0F", "8@0-100:1/23 r0F", "16@0-100:1/37 r0F", "17@0-100:1/29 r0F",
             "63@0-100:1/19 r0F", "64@0-100:1/17 r0F", "700@0-100:2/36 r0F"],
            sink.Lines());
        Assert.All(sink.Rows, r => Assert.Equal(new RowRevision(0, 100, 0, true, 99), r.Revision));
        var row3 = sink.Rows[1].Row;
        Assert.Equal(new RevenueRow(3, 0, 100, 20, 2, 7, 13, 10.0, first3.OrderId, last3.OrderId), row3);
        Assert.Equal(1, op.DirectReleases);

        // [100, 200): a new table (the first one is in the pool now).
        sink.Clear();
        op.Apply([O(5, 150, 43), O(700, 160, 47)]);
        op.Apply([O(0, 200, 53)]);   // W = 199
        Assert.Equal(["3@100-200:1/41 r0F", "5@100-200:1/43 r0F", "700@100-200:1/47 r0F"], sink.Lines());
        Assert.All(sink.Rows, r => Assert.Equal(new RowRevision(100, 200, 0, true, 199), r.Revision));

        // [200, 300) takes the first window's table from the pool (primed up to slot 700 when rented):
        // none of 3, 8, 16, 17, 63 comes back, 0, 64 and 700 start from nothing, 900 lies past the primed slots.
        sink.Clear();
        op.Apply([O(700, 210, 59), O(64, 220, 61), O(900, 230, 67)]);
        op.EndOfInput();   // W = +∞
        Assert.Equal(["0@200-300:1/53 r0F", "64@200-300:1/61 r0F", "700@200-300:1/59 r0F", "900@200-300:1/67 r0F"], sink.Lines());
        Assert.All(sink.Rows, r => Assert.Equal(new RowRevision(200, 300, 0, true, long.MaxValue), r.Revision));
        Assert.Equal(3, op.DirectReleases);
        Assert.Equal(8 + 3 + 4, op.RowsEmitted);
    }

    [Fact]
    public void DirectTable_DenseRunsOfEightAndPartialGroups_EmitsEachKeyOnce()
    {
        // Keys 0..99 (groups of eight control bytes all held) except 13, 50..57 (a whole group empty) and 98,
        // and 127: the last slot of the table's 128 (direct slots: maxIndex + 1 rounded up to a power of two).
        var sink = new RowCollector();
        var op = NewOperator(sink, EmitMode.Final, 0);
        var keys = Enumerable.Range(0, 100).Where(k => k != 13 && k is not (>= 50 and <= 57) && k != 98).Append(127).ToArray();
        op.Apply(keys.Select(k => O(k, 50, 100 + k)).ToArray());
        op.Apply(keys.Select(k => O(k, 60, 1)).ToArray());
        op.Apply([O(1, 100, 1)]);
        // Each key: two orders, 100 + k + 1 cents.
        Assert.Equal(keys.Select(k => $"{k}@0-100:2/{101 + k} r0F").ToArray(), sink.Lines());
        Assert.Equal(1, op.DirectReleases);
        Assert.Equal(keys.Length, op.RowsEmitted);
    }

    [Fact]
    public void HashedTable_EmitsEveryKeyOnce_AndNoKeyOfAnEarlierWindow()
    {
        var sink = new RowCollector();
        var op = NewOperator(sink, EmitMode.Final, 0);

        // A negative key and a key far past any direct range make the table hashed.
        op.Apply([O(-5, 1, 5), O(3, 2, 7), O(5_000_000_000, 3, 11), O(3, 4, 13)]);
        op.Apply([O(9, 100, 17)]);   // W = 99
        Assert.Equal(["-5@0-100:1/5 r0F", "3@0-100:2/20 r0F", "5000000000@0-100:1/11 r0F"], Sorted(sink.Lines()));
        Assert.All(sink.Rows, r => Assert.Equal(new RowRevision(0, 100, 0, true, 99), r.Revision));
        Assert.Equal(0, op.DirectReleases);

        sink.Clear();
        op.Apply([O(-5, 150, 19)]);
        op.Apply([O(1, 200, 23)]);   // W = 199
        Assert.Equal(["-5@100-200:1/19 r0F", "9@100-200:1/17 r0F"], Sorted(sink.Lines()));
        Assert.Equal(0, op.DirectReleases);

        // [200, 300) reuses the first (hashed) table: only its own keys.
        sink.Clear();
        op.Apply([O(2, 210, 29)]);
        op.EndOfInput();
        Assert.Equal(["1@200-300:1/23 r0F", "2@200-300:1/29 r0F"], Sorted(sink.Lines()));
        Assert.Equal(3 + 2 + 2, op.RowsEmitted);
    }

    [Theory]
    [InlineData(2L)]    // direct table
    [InlineData(-2L)]   // a negative key: hashed table
    public void OnWindowCloseWithLateness_FinalRowsCarryEachKeysNextRevision(long k)
    {
        var sink = new RowCollector();
        var op = NewOperator(sink, EmitMode.OnWindowClose, 50);
        op.Apply([O(1, 10, 5), O(k, 20, 7), O(3, 30, 11)]);
        op.Apply([O(1, 100, 13)]);   // W = 99: [0, 100) closes (not final: late events may still revise it until W = 149)
        Assert.Equal(Sorted([$"{k}@0-100:1/7 r0", "1@0-100:1/5 r0", "3@0-100:1/11 r0"]), Sorted(sink.Lines()));
        Assert.All(sink.Rows, r => Assert.Equal(new RowRevision(0, 100, 0, false, 99), r.Revision));

        sink.Clear();
        op.Apply([O(k, 50, 17)]);    // allowed-late: revision 1 of k
        op.Apply([O(4, 60, 19)]);    // allowed-late, a key new to the window: its revision 0
        Assert.Equal([$"{k}@0-100:2/24 r1", "4@0-100:1/19 r0"], sink.Lines());
        Assert.All(sink.Rows, r => Assert.False(r.Revision.IsFinal));

        sink.Clear();
        op.Apply([O(1, 150, 23)]);   // W = 149: released, each key's final row with its next revision
        Assert.Equal(Sorted([$"{k}@0-100:2/24 r2F", "1@0-100:1/5 r1F", "3@0-100:1/11 r1F", "4@0-100:1/19 r1F"]), Sorted(sink.Lines()));
        foreach (var (row, rev) in sink.Rows)
        {
            Assert.Equal(new RowRevision(0, 100, row.ProductId == k ? 2 : 1, true, 149), rev);
        }
        Assert.Equal(k > 0 ? 1 : 0, op.DirectReleases);

        sink.Clear();
        op.EndOfInput();             // [100, 200) closes and is released at W = +∞
        Assert.Equal(["1@100-200:2/36 r0", "1@100-200:2/36 r1F"], sink.Lines());
        Assert.Equal(3 + 2 + 4 + 2, op.RowsEmitted);
    }

    [Theory]
    [InlineData(2L)]
    [InlineData(-2L)]
    public void FinalWithLateness_EmitsOnceAtRelease_WithTheLateUpdates(long k)
    {
        var sink = new RowCollector();
        var op = NewOperator(sink, EmitMode.Final, 50);
        op.Apply([O(1, 10, 5), O(k, 20, 7), O(3, 30, 11)]);
        op.Apply([O(1, 100, 13)]);   // W = 99: fired, nothing emitted under Final until W = 149
        op.Apply([O(k, 50, 17), O(4, 60, 19)]);
        Assert.Empty(sink.Rows);
        op.Apply([O(1, 150, 23)]);   // W = 149
        Assert.Equal(Sorted([$"{k}@0-100:2/24 r0F", "1@0-100:1/5 r0F", "3@0-100:1/11 r0F", "4@0-100:1/19 r0F"]), Sorted(sink.Lines()));
        Assert.All(sink.Rows, r => Assert.Equal(new RowRevision(0, 100, 0, true, 149), r.Revision));
        Assert.Equal(k > 0 ? 1 : 0, op.DirectReleases);
        Assert.Equal(4, op.RowsEmitted);
    }

    [Fact]
    public void AfterRestore_FinalRows_AreTheUninterruptedOnes()
    {
        var liveRows = new RowCollector();
        var live = NewOperator(liveRows, EmitMode.Final, 0);
        var events = new[] { O(2, 10, 5), O(40, 20, 7), O(2, 30, 11), O(900, 40, 13) };
        live.Apply(events);
        var snapshot = Snapshot(live);

        var restoredRows = new RowCollector();
        var restored = NewOperator(restoredRows, EmitMode.Final, 0);
        restored.RestoreSnapshot(snapshot);
        var next = O(7, 100, 17);
        live.Apply([next]);
        restored.Apply([next]);   // W = 99
        string[] expected = ["2@0-100:2/16 r0F", "40@0-100:1/7 r0F", "900@0-100:1/13 r0F"];
        Assert.Equal(expected, liveRows.Lines());
        Assert.Equal(expected, restoredRows.Lines());
        Assert.Equal(liveRows.Rows, restoredRows.Rows);
        Assert.All(restoredRows.Rows, r => Assert.Equal(new RowRevision(0, 100, 0, true, 99), r.Revision));
        Assert.Equal(1, restored.DirectReleases);
        Assert.Equal(3, restored.RowsEmitted);
    }

    [Fact]
    public void AfterRestore_OnWindowCloseWithLateness_FinalRowsKeepTheRestoredRevisions()
    {
        var liveRows = new RowCollector();
        var live = NewOperator(liveRows, EmitMode.OnWindowClose, 50);
        live.Apply([O(1, 10, 5), O(2, 20, 7)]);
        live.Apply([O(9, 100, 11)]);   // W = 99: rows r0 for 1 and 2
        live.Apply([O(2, 40, 13)]);    // allowed-late: 2's r1
        Assert.Equal(["1@0-100:1/5 r0", "2@0-100:1/7 r0", "2@0-100:2/20 r1"], liveRows.Lines());
        var snapshot = Snapshot(live);

        var restoredRows = new RowCollector();
        var restored = NewOperator(restoredRows, EmitMode.OnWindowClose, 50);
        restored.RestoreSnapshot(snapshot);
        liveRows.Clear();
        var next = O(9, 150, 17);
        live.Apply([next]);
        restored.Apply([next]);   // W = 149: [0, 100) released
        string[] expected = ["1@0-100:1/5 r1F", "2@0-100:2/20 r2F"];
        Assert.Equal(expected, liveRows.Lines());
        Assert.Equal(expected, restoredRows.Lines());
        Assert.Equal(liveRows.Rows, restoredRows.Rows);
        Assert.Equal(1, restored.DirectReleases);
    }

    private static byte[] Snapshot(Daily op)
    {
        var buffer = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
