using System.Buffers;
using Kernel.Operators;
using Kernel.Tests.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Pipelines;

/// <summary>
/// Snapshot and restore of a windowed aggregator: an operator restored from a snapshot taken at any
/// point and fed the remaining events emits exactly the rows (same order, revisions, finality) and
/// ends with the same counters as one operator that ran through uninterrupted.
/// </summary>
public sealed class WindowedAggregatorSnapshotTests
{
    private const long Bound = 50;

    public static TheoryData<int, WindowKind, EmitMode, long> Cases()
    {
        var data = new TheoryData<int, WindowKind, EmitMode, long>();
        var seed = 100;
        foreach (var kind in new[] { WindowKind.Tumbling, WindowKind.Sliding })
            foreach (var emit in new[] { EmitMode.Final, EmitMode.OnWindowClose, EmitMode.EveryUpdate })
                foreach (var lateness in new[] { 0L, 120L })
                {
                    data.Add(seed++, kind, emit, lateness);
                }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RestoreThenRemainingEvents_EqualsUninterruptedRun(int seed, WindowKind kind, EmitMode emit, long lateness)
    {
        var rng = new Random(seed);
        var events = Arrivals(rng, 5_000);
        var reference = Run(events, kind, emit, lateness, cuts: []);
        // Three snapshot points, each restored into a fresh operator that goes on from there.
        var cuts = new[] { rng.Next(1, 1_500), rng.Next(1_500, 3_000), rng.Next(3_000, events.Length) };
        var resumed = Run(events, kind, emit, lateness, cuts);

        Assert.True(reference.Late > 0, $"seed {seed}: the input should hold late events");
        Assert.True(reference.Lines.Length == resumed.Lines.Length, $"seed {seed}, cuts {string.Join(",", cuts)}: {resumed.Lines.Length} rows after restores, {reference.Lines.Length} uninterrupted");
        for (var i = 0; i < reference.Lines.Length; i++)
            Assert.True(reference.Lines[i] == resumed.Lines[i], $"seed {seed}, cuts {string.Join(",", cuts)}: row {i} is {resumed.Lines[i]}, uninterrupted {reference.Lines[i]}");
        Assert.True(reference.Counters == resumed.Counters, $"seed {seed}: counters {resumed.Counters} vs {reference.Counters}");
    }

    [Fact]
    public void Snapshot_OfARestoredOperator_IsByteIdentical()
    {
        var rng = new Random(17);
        var events = Arrivals(rng, 3_000);
        var first = NewOperator(new RowCollector(), null, WindowKind.Sliding, EmitMode.Final, 120);
        first.Apply(events.AsSpan(0, 2_000));
        var bytes = Snapshot(first);
        var second = NewOperator(new RowCollector(), null, WindowKind.Sliding, EmitMode.Final, 120);
        second.RestoreSnapshot(bytes);
        Assert.Equal(bytes, Snapshot(second));
        Assert.Equal(first.StateEntries, second.StateEntries);
        Assert.Equal(first.OpenBuckets, second.OpenBuckets);
        Assert.True(first.StateEntries > 0, "seed 17: the cut should fall while windows hold state");
    }

    [Fact]
    public void Restore_DamagedBytes_NamesTheAggregationAndOffset()
    {
        var op = NewOperator(new RowCollector(), null, WindowKind.Tumbling, EmitMode.Final, 0);
        op.Apply(Arrivals(new Random(3), 500));
        var bytes = Snapshot(op);
        bytes[bytes.Length / 2] ^= 0x40;
        var e = Assert.Throws<InvalidDataException>(() => NewOperator(new RowCollector(), null, WindowKind.Tumbling, EmitMode.Final, 0).RestoreSnapshot(bytes));
        Assert.Contains("Tests.DailyRevenue", e.Message, StringComparison.Ordinal);
        Assert.Contains($"offset {bytes.Length - 4}", e.Message, StringComparison.Ordinal);
        Assert.Contains("CRC-32C", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_UnderAnotherStateFingerprint_Refuses()
    {
        var op = NewOperator(new RowCollector(), null, WindowKind.Tumbling, EmitMode.Final, 0);
        op.Apply(Arrivals(new Random(4), 500));
        var bytes = Snapshot(op);
        var other = new WindowedAggregator<Order, long, RevenueState, RevenueRow, RenamedFieldsSpec>(new RowCollector(), null, Options(WindowKind.Tumbling, EmitMode.Final, 0));
        var e = Assert.Throws<InvalidDataException>(() => other.RestoreSnapshot(bytes));
        Assert.Contains("state fingerprint 0xA11CE5EED0000002", e.Message, StringComparison.Ordinal);
        Assert.Contains("0xA11CE5EED00000FF", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<int, EmitMode, long> SessionCases()
    {
        var data = new TheoryData<int, EmitMode, long>();
        var seed = 300;
        foreach (var emit in new[] { EmitMode.Final, EmitMode.OnWindowClose, EmitMode.EveryUpdate })
            foreach (var lateness in new[] { 0L, 120L })
                data.Add(seed++, emit, lateness);
        return data;
    }

    [Theory]
    [MemberData(nameof(SessionCases))]
    public void Sessions_RestoreThenRemainingEvents_EqualsUninterruptedRun(int seed, EmitMode emit, long lateness) =>
        RestoreThenRemainingEvents_EqualsUninterruptedRun(seed, WindowKind.Session, emit, lateness);

    [Fact]
    public void Sessions_SnapshotOfARestoredOperator_IsByteIdentical()
    {
        var events = Arrivals(new Random(23), 3_000);
        var first = NewOperator(new RowCollector(), null, WindowKind.Session, EmitMode.Final, 120);
        first.Apply(events.AsSpan(0, 2_000));
        var bytes = Snapshot(first);
        var second = NewOperator(new RowCollector(), null, WindowKind.Session, EmitMode.Final, 120);
        second.RestoreSnapshot(bytes);
        Assert.Equal(bytes, Snapshot(second));
        Assert.Equal(first.StateEntries, second.StateEntries);
        Assert.True(first.StateEntries > 0, "seed 23: the cut should fall while sessions are open");
    }

    /// <summary>
    /// Two sessions of one key are open at the snapshot; after the restore an event falls between
    /// them and bridges both: one session comes out, holding every order (hand-computed).
    /// </summary>
    [Fact]
    public void Sessions_RestoreMidSession_ThenAnEventMergesTwoRestoredSessions()
    {
        var sink = new RowCollector();
        var op = NewOperator(sink, null, WindowKind.Session, EmitMode.Final, 0);
        // Gap 25, bound 50: sessions [1000, 1035) and [1060, 1085); the watermark (1060 − 50 − 1) closes neither.
        op.Apply([Order.Of(1, 1_000, 100, 1, 1), Order.Of(1, 1_010, 200, 2, 2), Order.Of(1, 1_060, 300, 1, 3)]);
        Assert.Empty(sink.Rows);
        var restored = NewOperator(sink, null, WindowKind.Session, EmitMode.Final, 0);
        restored.RestoreSnapshot(Snapshot(op));
        Assert.Equal(2, restored.StateEntries);

        // 1040 covers [1040, 1065): it overlaps [1060, 1085) only, which grows to [1040, 1085)…
        restored.Apply([Order.Of(1, 1_040, 50, 4, 4)]);
        Assert.Equal(2, restored.StateEntries);
        // …and 1020 covers [1020, 1045): it overlaps both [1000, 1035) and [1040, 1085): one session.
        restored.Apply([Order.Of(1, 1_020, 10, 1, 5)]);
        Assert.Equal(1, restored.StateEntries);
        restored.EndOfInput();

        var row = Assert.Single(sink.Rows).Row;
        Assert.Equal((1L, 1_000L, 1_085L), (row.ProductId, row.WindowStartMs, row.WindowEndMs));
        Assert.Equal(5, row.Orders);
        Assert.Equal(100 * 1 + 200 * 2 + 300 * 1 + 50 * 4 + 10 * 1, row.RevenueCents);
    }

    private static (string[] Lines, (long Seen, long Late, long Rows, long Watermark) Counters, long Late) Run(
        Order[] events, WindowKind kind, EmitMode emit, long lateness, int[] cuts)
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = NewOperator(sink, late, kind, emit, lateness);
        var at = 0;
        foreach (var cut in cuts)
        {
            Feed(op, events.AsSpan(at, cut - at));
            at = cut;
            var bytes = Snapshot(op);
            op = NewOperator(sink, late, kind, emit, lateness);
            op.RestoreSnapshot(bytes);
        }
        Feed(op, events.AsSpan(at));
        op.EndOfInput();
        var lines = sink.Lines().Concat(late.Events.Select(l => $"late {l.Time}@{l.Watermark}")).ToArray();
        return (lines, (op.EventsSeen, op.LateEvents, op.RowsEmitted, op.Watermark), op.LateEvents);
    }

    private static void Feed(WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> op, ReadOnlySpan<Order> events)
    {
        // Uneven batches, the same for both runs (a function of the position only).
        for (var i = 0; i < events.Length;)
        {
            var n = Math.Min(events.Length - i, 1 + (i * 7 % 97));
            op.Apply(events.Slice(i, n));
            i += n;
        }
    }

    private static byte[] Snapshot(ISnapshotOperator op)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var written = op.WriteSnapshot(buffer);
        Assert.Equal(buffer.WrittenCount, written);
        return buffer.WrittenSpan.ToArray();
    }

    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> NewOperator(
        RowCollector sink, LateCollector? late, WindowKind kind, EmitMode emit, long lateness) =>
        new(sink, late, Options(kind, emit, lateness));

    private static WindowOptions Options(WindowKind kind, EmitMode emit, long lateness) => new()
    {
        Window = kind == WindowKind.Session
            ? new WindowSpec { Kind = kind, GapMs = 25 }
            : new WindowSpec { Kind = kind, SizeMs = 100, SlideMs = kind == WindowKind.Sliding ? 30 : 100, OffsetMs = 7 },
        MaxOutOfOrdernessMs = Bound, AllowedLatenessMs = lateness, Emit = emit, Clock = new ManualClock(),
    };

    private static Order[] Arrivals(Random rng, int n)
    {
        var events = new List<(long SortKey, Order Order)>(n);
        long t = 1_000;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 3);
            var price = rng.Next(10) == 0 ? 0 : rng.Next(1, 1_000);
            var order = Order.Of(rng.Next(20), t, price, rng.Next(1, 5), i);
            var delay = rng.Next(20) == 0 ? rng.Next(0, 400) : rng.Next(0, (int)Bound + 1);
            events.Add((t + delay, order));
        }
        return events.OrderBy(e => e.SortKey).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();
    }

    /// <summary>The daily-revenue spec under another state fingerprint, as after a schema change.</summary>
    private struct RenamedFieldsSpec : IAggregationSpec<Order, long, RevenueState, RevenueRow>
    {
        public static string Name => DailyRevenueSpec.Name;
        public static ulong StateFingerprint => 0xA11CE5EED00000FFUL;
        public static WindowSpec Window => DailyRevenueSpec.Window;
        public static bool Filter(in Order e) => DailyRevenueSpec.Filter(e);
        public static long KeyOf(in Order e) => DailyRevenueSpec.KeyOf(e);
        public static ulong HashKey(in long key) => DailyRevenueSpec.HashKey(key);
        public static long EventTime(in Order e) => DailyRevenueSpec.EventTime(e);
        public static void Init(out RevenueState state) => DailyRevenueSpec.Init(out state);
        public static void Update(ref RevenueState state, in Order e) => DailyRevenueSpec.Update(ref state, e);
        public static void Merge(ref RevenueState into, in RevenueState other) => DailyRevenueSpec.Merge(ref into, other);
        public static void ToRow(in long key, in RevenueState state, long windowStartMs, long windowEndMs, out RevenueRow row) =>
            DailyRevenueSpec.ToRow(key, state, windowStartMs, windowEndMs, out row);
    }
}
