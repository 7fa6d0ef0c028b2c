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
                    if (kind == WindowKind.Sliding && emit == EmitMode.EveryUpdate) continue;
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

    [Fact]
    public void SessionWindows_AreRefusedClearly()
    {
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(new RowCollector(), null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 25 },
            MaxOutOfOrdernessMs = Bound, Clock = new ManualClock(),
        });
        var e = Assert.Throws<NotSupportedException>(() => op.WriteSnapshot(new ArrayBufferWriter<byte>()));
        Assert.Contains("session", e.Message, StringComparison.Ordinal);
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
        Window = new WindowSpec { Kind = kind, SizeMs = 100, SlideMs = kind == WindowKind.Sliding ? 30 : 100, OffsetMs = 7 },
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
