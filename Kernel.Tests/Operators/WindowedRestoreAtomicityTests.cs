using System.Buffers.Binary;
using System.Globalization;
using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using D = Kernel.Tests.Generators.Declarations;
using Reach = Kernel.Operators.WindowedAggregator<Kernel.Tests.Generators.Declarations.Order, long, Kernel.Tests.Generators.Declarations.DailyReach.State, Kernel.Tests.Generators.Declarations.DailyReach, Kernel.Tests.Generators.Declarations.DailyReach.Spec>;
using ReachP14 = Kernel.Operators.WindowedAggregator<Kernel.Tests.Generators.Declarations.Order, long, Kernel.Tests.Generators.Declarations.DailyReachP14.State, Kernel.Tests.Generators.Declarations.DailyReachP14, Kernel.Tests.Generators.Declarations.DailyReachP14.Spec>;
using RevenueWindows = Kernel.Operators.WindowedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.RevenueState, Kernel.Tests.Operators.Specs.RevenueRow, Kernel.Tests.Operators.Specs.DailyRevenueSpec>;
using Sales = Kernel.Operators.WindowedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState, Kernel.Tests.Operators.Specs.SalesWindowRow, Kernel.Tests.Operators.Specs.SalesWindowSpec>;

namespace Kernel.Tests.Operators;

/// <summary>
/// A restore the bytes fail leaves the windowed operator as it was: an operator holding state B, handed a
/// damaged snapshot of state A, throws <see cref="InvalidDataException"/> and then reports B exactly
/// (counters, its own snapshot: every window, session and sketch) and emits what a twin that never saw the
/// damaged bytes emits. Before, the operator gave up its windows and sessions (and restored the sketches)
/// once the header and the CRC checked out, and found a bucket, a session link, a sketch or trailing bytes
/// wrong only after; an incremental restore found a window listed twice or a count its store did not hold
/// with its windows already replaced. Each damage is placed at a seeded random bit, printed with the seed.
/// </summary>
public sealed class WindowedRestoreAtomicityTests : IDisposable
{
    private const long Day = 86_400_000;

    private readonly TempDirectory _dir = new("windowed-restore-atomicity");

    public void Dispose() => _dir.Dispose();

    /// <summary>Damage done to a snapshot of <see cref="D.DailyReach"/> (sketches per key and day).</summary>
    public enum Damage
    {
        /// <summary>A bit of the operator's own part (its CRC refuses it).</summary>
        StateBit,

        /// <summary>A bit of the side state (its trailer's CRC refuses it).</summary>
        SideBit,

        /// <summary>A bit of a sample, the second sketch pool, under the side state's seal.</summary>
        SecondPoolUnderSeal,

        /// <summary>The last bucket's entry count made to run past the end, under the operator part's CRC.</summary>
        BucketCountUnderSeal,

        /// <summary>Four bytes after the last section, under the operator part's CRC.</summary>
        TrailingBytesUnderSeal,

        /// <summary>The bytes cut at a random length.</summary>
        Truncated,
    }

    public static TheoryData<int, Damage> Cases()
    {
        var data = new TheoryData<int, Damage>();
        var seed = 5100;
        foreach (var damage in Enum.GetValues<Damage>())
            for (var i = 0; i < 3; i++) data.Add(seed++, damage);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ARejectedSnapshot_LeavesTheOperatorAsItWas(int seed, Damage damage)
    {
        var rng = new Random(seed);
        var (a, b, twin, tail) = ReachStates(rng);
        var snapshot = FullSnapshot(a.Op);
        var damaged = Apply(damage, snapshot, rng, out var where);
        var before = Describe(b.Op);

        var error = Assert.Throws<InvalidDataException>(() => b.Op.RestoreSnapshot(damaged));

        var what = $"seed {seed}, {damage} ({where}), refused with \"{error.Message}\"";
        SnapshotDamage.AssertSame(before, Describe(b.Op), what);
        AssertGoesOnAsTwin(b, twin, tail, what);
    }

    [Fact]
    public void TheSameSnapshotUndamaged_RestoresA()
    {
        var (a, b, _, tail) = ReachStates(new Random(5201));
        b.Op.RestoreSnapshot(FullSnapshot(a.Op));
        SnapshotDamage.AssertSame(Describe(a.Op), Describe(b.Op), "seed 5201");
        var emittedByA = a.Rows.Count;
        var emittedByB = b.Rows.Count;
        a.Op.Apply(tail);
        b.Op.Apply(tail);
        a.Op.EndOfInput();
        b.Op.EndOfInput();
        var rowsOfA = a.Rows.Skip(emittedByA).Order(StringComparer.Ordinal);
        var rowsOfB = b.Rows.Skip(emittedByB).Order(StringComparer.Ordinal);
        Assert.True(rowsOfA.SequenceEqual(rowsOfB), "seed 5201: the restored operator emits other rows than A");
    }

    /// <summary>
    /// A snapshot written under other sketch settings (<see cref="D.DailyReach"/>'s distinct count of precision 12,
    /// restored into <see cref="D.DailyReachP14"/>'s of 14; the precision is part of the state fingerprint) is refused
    /// by the operator's fingerprint check, naming the aggregation, and changes nothing. It was refused by the first
    /// sketch pool instead ("field 'precision'") while the side state was checked before the operator's header.
    /// </summary>
    [Fact]
    public void ASnapshotOfOtherSketchSettings_IsRefusedByTheFingerprint()
    {
        var rng = new Random(5501);
        var a = NewReach();
        a.Op.Apply(ReachOrders(rng, 0, 2, 1_500).AsSpan(0, 2_200));
        var snapshot = FullSnapshot(a.Op);
        var p14Rows = new List<string>();
        var p14 = new ReachP14(new ReachP14Rows(p14Rows));
        p14.Apply(ReachOrders(rng, 10, 2, 1_000).AsSpan(0, 1_500));
        Assert.NotEqual(D.DailyReach.Spec.StateFingerprint, D.DailyReachP14.Spec.StateFingerprint);
        var before = Describe(p14);
        var rowsBefore = p14Rows.Count;

        var error = Assert.Throws<InvalidDataException>(() => p14.RestoreSnapshot(snapshot));

        var what = $"seed 5501, refused with \"{error.Message}\"";
        Assert.True(error.Message.Contains("fingerprint", StringComparison.Ordinal) && error.Message.Contains($"aggregation '{D.DailyReachP14.Spec.Name}'", StringComparison.Ordinal), $"{what}: the message does not say the aggregation's state fingerprint differs");
        SnapshotDamage.AssertSame(before, Describe(p14), what);
        Assert.True(rowsBefore == p14Rows.Count, $"{what}: the operator emitted rows");
    }

    /// <summary>Session windows (no sketches): a head or a node link that names no node, under the CRC.</summary>
    [Theory]
    [InlineData(5301, false)]
    [InlineData(5302, false)]
    [InlineData(5303, true)]
    [InlineData(5304, true)]
    public void ASessionSnapshotWithABrokenLink_LeavesTheOperatorAsItWas(int seed, bool brokenHead)
    {
        var rng = new Random(seed);
        var a = NewSessions(new RowCollector());
        a.Apply(RevenueOrders(rng, 1_500));
        var snapshot = FullSnapshot(a);
        var (nodesAt, nodes, nodeSize, headsAt, heads) = SessionSection(snapshot);
        Assert.True(nodes > 0 && heads > 0, $"seed {seed}: the snapshot holds {nodes} nodes and {heads} heads");
        string where;
        if (brokenHead)
        {
            var head = rng.Next(heads);
            BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(headsAt + head * 12 + 8), nodes + 1 + rng.Next(5));
            where = $"head {head} past the {nodes} nodes";
        }
        else
        {
            var node = rng.Next(nodes);
            BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(nodesAt + node * nodeSize + nodeSize - 15 + 5), nodes + rng.Next(5));
            where = $"node {node} linked past the {nodes} nodes";
        }
        SnapshotDamage.Reseal(snapshot);
        var bRows = new RowCollector();
        var b = NewSessions(bRows);
        var twinRows = new RowCollector();
        var twin = NewSessions(twinRows);
        var forB = RevenueOrders(rng, 1_000);
        b.Apply(forB);
        twin.Apply(forB);
        var before = Describe(b);

        var error = Assert.Throws<InvalidDataException>(() => b.RestoreSnapshot(snapshot));

        var what = $"seed {seed}, {where}, refused with \"{error.Message}\"";
        SnapshotDamage.AssertSame(before, Describe(b), what);
        var tail = RevenueOrders(rng, 500, from: 1_000 + 1_000 * 3);
        b.Apply(tail);
        twin.Apply(tail);
        b.EndOfInput();
        twin.EndOfInput();
        Assert.True(twinRows.Lines().SequenceEqual(bRows.Lines()), $"{what}: fed the same events as a twin, the rows differ");
    }

    /// <summary>Incremental metadata listing a window twice, or more entries than its store holds (under its CRC).</summary>
    [Theory]
    [InlineData(5401, false)]
    [InlineData(5402, true)]
    public async Task AnIncrementalCheckpointItsStoreDoesNotMatch_LeavesTheOperatorAsItWas(int seed, bool windowTwice)
    {
        var rng = new Random(seed);
        var store = new CheckpointStore(Path.Combine(_dir.Path, $"data-{seed}"));
        var (participant, a, _, coordinator) = CheckpointRig<Sales>.Open(Path.Combine(_dir.Path, $"live-a-{seed}"), store, p => NewSales(new SalesLog(), p));
        a.Apply(SalesOrders(rng, 3_000, 1_000));
        var id = (await CheckpointAsync(coordinator, participant)).CheckpointId;
        participant.CloseStore();
        var metaPath = Path.Combine(store.GetCheckpointDirectory(id), "sales.meta");
        var metadata = File.ReadAllBytes(metaPath);
        var windows = BinaryPrimitives.ReadInt32LittleEndian(metadata.AsSpan(60)) + BinaryPrimitives.ReadInt32LittleEndian(metadata.AsSpan(64)) + BinaryPrimitives.ReadInt32LittleEndian(metadata.AsSpan(76));
        Assert.True(windows >= 2, $"seed {seed}: the checkpoint holds {windows} windows");
        var listAt = 80 + BinaryPrimitives.ReadInt32LittleEndian(metadata.AsSpan(56)) * 16;
        var window = rng.Next(1, windows);
        string where;
        if (windowTwice)
        {
            metadata.AsSpan(listAt, 16).CopyTo(metadata.AsSpan(listAt + window * 20));
            where = $"window {window} listed as window 0";
        }
        else
        {
            var countAt = listAt + window * 20 + 16;
            BinaryPrimitives.WriteInt32LittleEndian(metadata.AsSpan(countAt), BinaryPrimitives.ReadInt32LittleEndian(metadata.AsSpan(countAt)) + 1);
            where = $"window {window}'s entry count + 1";
        }
        SnapshotDamage.Reseal(metadata);
        File.WriteAllBytes(metaPath, metadata);

        var bRows = new SalesLog();
        var (again, b) = CheckpointRig<Sales>.Bound(Path.Combine(_dir.Path, $"live-b-{seed}"), p => NewSales(bRows, p));
        var twinRows = new SalesLog();
        var twin = NewSales(twinRows, new OperatorParticipant("twin"));
        var forB = SalesOrders(rng, 2_000, 50_000);
        b.Apply(forB);
        twin.Apply(forB);
        var before = Describe(b);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await RestoreAsync(again, store, id));

        var what = $"seed {seed}, {where}, refused with \"{error.Message}\"";
        SnapshotDamage.AssertSame(before, Describe(b), what);
        var tail = SalesOrders(rng, 1_000, 50_000 + 2_000 * 2);
        b.Apply(tail);
        twin.Apply(tail);
        b.EndOfInput();
        twin.EndOfInput();
        Assert.True(twinRows.Lines.SequenceEqual(bRows.Lines), $"{what}: fed the same events as a twin, the rows differ");
        again.CloseStore();
    }

    /// <summary>An operator and the rows it emitted, as text.</summary>
    private sealed class Run(Reach op, List<string> rows)
    {
        public Reach Op { get; } = op;

        public List<string> Rows { get; } = rows;
    }

    private sealed class ReachRows(List<string> rows) : IRowSink<D.DailyReach>
    {
        public void OnRow(in D.DailyReach row, in RowRevision revision) => rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"{row.ProductId}@{row.DayStartMs / Day}: {row.Orders} orders, ~{row.Customers} customers, sample [{string.Join(",", row.Sample.Items.ToArray().Select(o => o.OrderId))}] r{revision.Revision}{(revision.IsFinal ? "F" : "")}"));
    }

    private sealed class ReachP14Rows(List<string> rows) : IRowSink<D.DailyReachP14>
    {
        public void OnRow(in D.DailyReachP14 row, in RowRevision revision) => rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"{row.ProductId}@{row.DayStartMs / Day}: {row.Orders} orders, ~{row.Customers} customers r{revision.Revision}"));
    }

    private static Run NewReach()
    {
        var rows = new List<string>();
        return new Run(new Reach(new ReachRows(rows)), rows);
    }

    /// <summary>
    /// State A (days 0 to 1, cut in day 1: its sketches open), state B (days 10 to 11, cut likewise), a twin
    /// of B, and the rest of B's input.
    /// </summary>
    private static (Run A, Run B, Run Twin, D.Order[] Tail) ReachStates(Random rng)
    {
        var a = NewReach();
        a.Op.Apply(ReachOrders(rng, 0, 2, 1_500).AsSpan(0, 2_200));
        var b = NewReach();
        var twin = NewReach();
        var forB = ReachOrders(rng, 10, 3, 1_000);
        var cut = 1_000 + rng.Next(200, 800);
        b.Op.Apply(forB.AsSpan(0, cut));
        twin.Op.Apply(forB.AsSpan(0, cut));
        return (a, b, twin, forB[cut..]);
    }

    /// <summary>Days in order from <paramref name="firstDay"/>; 8 products, each bought by customers of its own pool.</summary>
    private static D.Order[] ReachOrders(Random rng, int firstDay, int days, int perDay)
    {
        var orders = new D.Order[days * perDay];
        for (var d = 0; d < days; d++)
            for (var i = 0; i < perDay; i++)
            {
                var product = rng.Next(1, 9);
                orders[d * perDay + i] = new D.Order
                {
                    OrderId = (firstDay + d) * 1_000_000L + i, ProductId = product, CustomerId = product * 1_000L + rng.Next(200),
                    PriceCents = 100, Quantity = 1, TimestampMs = (firstDay + d) * Day + i * (Day / perDay),
                };
            }
        return orders;
    }

    private static void AssertGoesOnAsTwin(Run b, Run twin, D.Order[] tail, string what)
    {
        b.Op.Apply(tail);
        twin.Op.Apply(tail);
        b.Op.EndOfInput();
        twin.Op.EndOfInput();
        Assert.True(twin.Rows.SequenceEqual(b.Rows), $"{what}: fed the same events as a twin, the rows differ");
    }

    private static byte[] Apply(Damage damage, byte[] snapshot, Random rng, out string where)
    {
        if (SnapshotDamage.TryApplyShared(damage.ToString(), snapshot, rng, out var shared, out where)) return shared;
        switch (damage)
        {
            case Damage.BucketCountUnderSeal:
            {
                var state = SnapshotDamage.StatePart(snapshot);
                var last = WindowedSnapshotBuckets(state)[^1];
                var count = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(last + 16));
                BinaryPrimitives.WriteInt32LittleEndian(state.AsSpan(last + 16), count + 1 + rng.Next(1_000));
                SnapshotDamage.Reseal(state);
                where = $"the entry count of the bucket at {last}, was {count}";
                return SnapshotDamage.WithStatePart(snapshot, state);
            }
            case Damage.TrailingBytesUnderSeal:
            {
                var state = SnapshotDamage.StatePart(snapshot);
                var longer = new byte[state.Length + 4];
                state.AsSpan(0, state.Length - 4).CopyTo(longer);
                rng.NextBytes(longer.AsSpan(state.Length - 4, 4));
                SnapshotDamage.Reseal(longer);
                where = $"4 bytes at {state.Length - 4}";
                return SnapshotDamage.WithStatePart(snapshot, longer);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, "no such damage");
        }
    }

    /// <summary>The offset of each bucket of an operator snapshot (v3; layout in WindowedAggregator.Snapshot.cs).</summary>
    private static List<int> WindowedSnapshotBuckets(byte[] s)
    {
        var buckets = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(60)) + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(64)) + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(76));
        var entrySize = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(68)) + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(72)) + 5;
        var at = 80 + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(56)) * 16;
        var offsets = new List<int>();
        for (var b = 0; b < buckets; b++)
        {
            offsets.Add(at);
            at += 20 + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(at + 16)) * entrySize;
        }
        Assert.True(offsets.Count > 0, "the snapshot holds no bucket");
        return offsets;
    }

    /// <summary>
    /// Where the session section's nodes and heads are (8-byte keys): after the buckets, a 20-byte header
    /// (nodes, free, live, timers, heads), the nodes, 16 bytes per timer, then 12 bytes per head.
    /// </summary>
    private static (int NodesAt, int Nodes, int NodeSize, int HeadsAt, int Heads) SessionSection(byte[] s)
    {
        var buckets = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(60)) + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(64)) + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(76));
        Assert.Equal(0, buckets);   // session windows keep no buckets
        var at = 80 + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(56)) * 16;
        var nodes = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(at));
        var timers = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(at + 12));
        var heads = BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(at + 16));
        var nodeSize = 8 + BinaryPrimitives.ReadInt32LittleEndian(s.AsSpan(72)) + 31;
        var headsAt = at + 20 + nodes * nodeSize + timers * 16;
        Assert.Equal(s.Length - 4, headsAt + heads * 12);
        return (at + 20, nodes, nodeSize, headsAt, heads);
    }

    private static RevenueWindows NewSessions(RowCollector rows) => new(rows, null, new WindowOptions
    {
        Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 25 },
        MaxOutOfOrdernessMs = 50, AllowedLatenessMs = 120, Emit = EmitMode.Final, Clock = new ManualClock(),
    });

    /// <summary>Orders of 20 products over about <paramref name="n"/> × 1 ms from <paramref name="from"/>, a few out of order.</summary>
    private static Order[] RevenueOrders(Random rng, int n, long from = 1_000)
    {
        var events = new Order[n];
        var t = from;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 3);
            events[i] = Order.Of(rng.Next(20), t - (rng.Next(10) == 0 ? rng.Next(40) : 0), rng.Next(1, 1_000), rng.Next(1, 5), i);
        }
        return events;
    }

    private static Sales NewSales(SalesLog rows, OperatorParticipant control) => new(rows, null, new WindowOptions
    {
        Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 100, SlideMs = 100 },
        MaxOutOfOrdernessMs = 20, AllowedLatenessMs = 150, Emit = EmitMode.Final, Clock = new ManualClock(), Control = control, InitialCapacity = 8,
    });

    /// <summary>Orders of 40 products from <paramref name="from"/> on, about one per millisecond.</summary>
    private static Order[] SalesOrders(Random rng, int n, long from)
    {
        var events = new Order[n];
        var t = from;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 3);
            events[i] = Order.Of(rng.Next(40), t - rng.Next(0, 15), rng.Next(1, 1_000), rng.Next(1, 5), i);
        }
        return events;
    }

    private sealed class SalesLog : IRowSink<SalesWindowRow>
    {
        public List<string> Lines { get; } = [];

        public void OnRow(in SalesWindowRow row, in RowRevision revision) => Lines.Add($"{row} r{revision.Revision} final={revision.IsFinal}");
    }

    /// <summary>
    /// Everything the operator reports: counters and its full snapshot (windows entry by entry in a fixed order,
    /// sessions and sketches as hashes of their bytes).
    /// </summary>
    private static List<string> Describe<TEvent, TState, TRow, TSpec>(WindowedAggregator<TEvent, long, TState, TRow, TSpec> op)
        where TState : unmanaged
        where TSpec : struct, IAggregationSpec<TEvent, long, TState, TRow>
    {
        var snapshot = FullSnapshot(op);
        var state = TSpec.HasSideState ? SnapshotDamage.StatePart(snapshot) : snapshot;
        var lines = new List<string>
        {
            $"events seen {op.EventsSeen}, late {op.LateEvents}, rows emitted {op.RowsEmitted}, watermark {op.Watermark}",
            $"open buckets {op.OpenBuckets}, entries {op.StateEntries}",
        };
        if (BinaryPrimitives.ReadUInt16LittleEndian(state.AsSpan(6)) == 0) lines.AddRange(WindowedSnapshotLines(state));
        else lines.Add("snapshot with sessions " + Hash(state));
        if (TSpec.HasSideState) lines.Add("side state " + Hash(snapshot.AsSpan(state.Length).ToArray()));
        return lines;
    }

    private static string Hash(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));
}
