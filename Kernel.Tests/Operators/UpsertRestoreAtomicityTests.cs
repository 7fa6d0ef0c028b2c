using System.Buffers;
using System.Buffers.Binary;
using Kernel.Operators;
using Kernel.Sketches;
using D = Kernel.Tests.Generators.Declarations;
using Leaderboard = Kernel.Operators.UpsertAggregator<Kernel.Tests.Generators.Declarations.RevenueByProduct, Kernel.Tests.Generators.Declarations.ProductLeaderboard.UpstreamKey, long, Kernel.Tests.Generators.Declarations.ProductLeaderboard.State, Kernel.Tests.Generators.Declarations.ProductLeaderboard, Kernel.Tests.Generators.Declarations.ProductLeaderboard.Spec>;
using Top = Kernel.Operators.UpsertAggregator<Kernel.Tests.Generators.Declarations.RevenueByProduct, Kernel.Tests.Generators.Declarations.TopProducts.UpstreamKey, byte, Kernel.Tests.Generators.Declarations.TopProducts.State, Kernel.Tests.Generators.Declarations.TopProducts, Kernel.Tests.Generators.Declarations.TopProducts.Spec>;

namespace Kernel.Tests.Operators;

/// <summary>
/// A restore the bytes fail leaves the upsert operator as it was: an operator holding state B, handed a
/// damaged snapshot of state A, throws <see cref="InvalidDataException"/> and then reports B exactly (rows
/// with their leaderboards, counters, kept upstream rows, its own snapshot) and goes on as a twin that never
/// saw the damaged bytes. Before, the leaderboards' pool was restored before the operator's own bytes were
/// checked, the upstream rows' table was replaced before the downstream table's bytes were checked, and a
/// kept row without downstream state was found with both tables replaced. <see cref="D.TopProducts"/> keeps
/// a leaderboard beside its state; <see cref="D.ProductLeaderboard"/> keeps none. Each damage is placed at
/// a seeded random bit, printed with the seed on failure.
/// </summary>
public sealed class UpsertRestoreAtomicityTests
{
    /// <summary>Damage done to an upsert snapshot ("KUPS": header, upstream rows' table, downstream table, CRC).</summary>
    public enum Damage
    {
        /// <summary>A bit of the operator's own part (its CRC refuses it).</summary>
        StateBit,

        /// <summary>A bit of the side state (its trailer's CRC refuses it; leaderboards only).</summary>
        SideBit,

        /// <summary>A bit of the upstream rows' table under the operator part's CRC (the table's own CRC refuses it).</summary>
        FirstTableUnderSeal,

        /// <summary>A bit of the downstream table under the operator part's CRC (the table's own CRC refuses it).</summary>
        SecondTableUnderSeal,

        /// <summary>The downstream table of an empty operator under the operator part's CRC: kept rows without state (leaderboards only).</summary>
        KeptRowsWithoutStateUnderSeal,

        /// <summary>The bytes cut at a random length.</summary>
        Truncated,
    }

    public static TheoryData<int, Damage, bool> Cases()
    {
        var data = new TheoryData<int, Damage, bool>();
        var seed = 6100;
        foreach (var leaderboards in new[] { true, false })
            foreach (var damage in Enum.GetValues<Damage>())
            {
                if (!leaderboards && damage is Damage.SideBit or Damage.KeptRowsWithoutStateUnderSeal) continue;
                for (var i = 0; i < 3; i++) data.Add(seed++, damage, leaderboards);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ARejectedSnapshot_LeavesTheOperatorAsItWas(int seed, Damage damage, bool leaderboards)
    {
        var rng = new Random(seed);
        var subject = leaderboards ? Subject.Leaderboards(rng) : Subject.Extremes(rng);
        var snapshot = subject.SnapshotOfA();
        var damaged = Apply(damage, snapshot, leaderboards ? subject.SnapshotOfEmpty() : null, rng, out var where);
        var before = subject.DescribeB();

        var error = Assert.Throws<InvalidDataException>(() => subject.RestoreB(damaged));

        var what = $"seed {seed}, {(leaderboards ? "TopProducts" : "ProductLeaderboard")}, {damage} ({where}), refused with \"{error.Message}\"";
        SnapshotDamage.AssertSame(before, subject.DescribeB(), what);
        subject.FeedBAndTwin();
        SnapshotDamage.AssertSame(subject.DescribeTwin(), subject.DescribeB(), what + ", then fed the same rows as a twin");
    }

    /// <summary>
    /// A nested table of scope Changes, with every checksum computed again: the writer writes both tables whole,
    /// and a Changes table would be checked against empty tables but applied on top of the live ones (so the
    /// kept rows' refill could fail with the tables already changed). The reader refuses it, naming the
    /// aggregation and the scope byte's offset, and changes nothing. It was applied before.
    /// </summary>
    [Theory]
    [InlineData(6301, true, 0)]
    [InlineData(6302, true, 1)]
    [InlineData(6303, false, 0)]
    [InlineData(6304, false, 1)]
    public void ANestedTableOfScopeChanges_IsRefused(int seed, bool leaderboards, int table)
    {
        var rng = new Random(seed);
        var subject = leaderboards ? Subject.Leaderboards(rng) : Subject.Extremes(rng);
        var snapshot = subject.SnapshotOfA();
        // "KSTB" (StateTable.Snapshot.cs): the scope is the byte at +6 (0 Full, 1 Changes); flags at +7 stay 0 and
        // the removed-key count 0, so the table is a well-formed Changes snapshot upserting every entry it holds.
        var state = leaderboards ? SnapshotDamage.StatePart(snapshot) : snapshot.ToArray();
        var (at, length) = Tables(state)[table];
        Assert.Equal(0, state[at + 6]);
        state[at + 6] = 1;
        SnapshotDamage.Reseal(state.AsSpan(at, length));
        SnapshotDamage.Reseal(state);
        var forged = leaderboards ? SnapshotDamage.WithStatePart(snapshot, state) : state;
        var before = subject.DescribeB();

        var error = Assert.Throws<InvalidDataException>(() => subject.RestoreB(forged));

        var name = leaderboards ? D.TopProducts.Spec.Name : D.ProductLeaderboard.Spec.Name;
        var what = $"seed {seed}, {name}, table {table} of scope Changes, refused with \"{error.Message}\"";
        Assert.True(error.Message.Contains($"aggregation '{name}' at offset {at + 6}:", StringComparison.Ordinal) && error.Message.Contains("scope", StringComparison.Ordinal),
            $"{what}: the message does not name the aggregation, the scope and its offset {at + 6}");
        SnapshotDamage.AssertSame(before, subject.DescribeB(), what);
        subject.FeedBAndTwin();
        SnapshotDamage.AssertSame(subject.DescribeTwin(), subject.DescribeB(), what + ", then fed the same rows as a twin");
    }

    [Theory]
    [InlineData(6201, true)]
    [InlineData(6202, false)]
    public void TheSameSnapshotUndamaged_RestoresA(int seed, bool leaderboards)
    {
        var subject = leaderboards ? Subject.Leaderboards(new Random(seed)) : Subject.Extremes(new Random(seed));
        subject.RestoreB(subject.SnapshotOfA());
        // The counters of work done (rebuilds, change rows sent) and the change rows are this operator's own, not
        // part of the state; a restored table may hold its keys in another slot order, so its snapshot may list
        // them in another order.
        static List<string> State(List<string> lines) => lines.Where(l => !l.StartsWith("rebuilds ", StringComparison.Ordinal)
            && !l.StartsWith("snapshot ", StringComparison.Ordinal) && !l.StartsWith("change ", StringComparison.Ordinal)).ToList();
        SnapshotDamage.AssertSame(State(subject.DescribeA()), State(subject.DescribeB()), $"seed {seed}");
    }

    /// <summary>
    /// Operators A and B of one aggregation, a twin of B, and rows for B and the twin to go on with, behind
    /// delegates so that one test covers both declarations.
    /// </summary>
    private sealed class Subject
    {
        public required Func<byte[]> SnapshotOfA { get; init; }

        public required Func<byte[]> SnapshotOfEmpty { get; init; }

        public required Action<byte[]> RestoreB { get; init; }

        public required Func<List<string>> DescribeA { get; init; }

        public required Func<List<string>> DescribeB { get; init; }

        public required Func<List<string>> DescribeTwin { get; init; }

        public required Action FeedBAndTwin { get; init; }

        public static Subject Leaderboards(Random rng)
        {
            var a = new Top();
            a.Apply(Revisions(rng, 60, 600, bands: 1));
            var (b, twin) = (new Top(), new Top());
            var forB = Revisions(rng, 40, 400, bands: 1);
            b.Apply(forB);
            twin.Apply(forB);
            var tail = Revisions(rng, 40, 200, bands: 1);
            return new Subject
            {
                SnapshotOfA = () => Snapshot(a.WriteSnapshot),
                SnapshotOfEmpty = () => Snapshot(new Top().WriteSnapshot),
                RestoreB = bytes => b.RestoreSnapshot(bytes),
                DescribeA = () => Describe(a),
                DescribeB = () => Describe(b),
                DescribeTwin = () => Describe(twin),
                FeedBAndTwin = () =>
                {
                    b.Apply(tail);
                    twin.Apply(tail);
                },
            };
        }

        public static Subject Extremes(Random rng)
        {
            var a = new Leaderboard(changes: new Changes());
            a.Apply(Revisions(rng, 60, 600, bands: 5));
            var (bChanges, twinChanges) = (new Changes(), new Changes());
            var (b, twin) = (new Leaderboard(changes: bChanges), new Leaderboard(changes: twinChanges));
            var forB = Revisions(rng, 40, 400, bands: 5);
            b.Apply(forB);
            twin.Apply(forB);
            var tail = Revisions(rng, 40, 200, bands: 5);
            return new Subject
            {
                SnapshotOfA = () => Snapshot(a.WriteSnapshot),
                SnapshotOfEmpty = () => Snapshot(new Leaderboard().WriteSnapshot),
                RestoreB = bytes => b.RestoreSnapshot(bytes),
                DescribeA = () => Describe(a),
                DescribeB = () => [.. Describe(b), .. bChanges.Rows],
                DescribeTwin = () => [.. Describe(twin), .. twinChanges.Rows],
                FeedBAndTwin = () =>
                {
                    b.Apply(tail);
                    twin.Apply(tail);
                },
            };
        }
    }

    private sealed class Changes : IRowSink<D.ProductLeaderboard>
    {
        public List<string> Rows { get; } = [];

        public void OnRow(in D.ProductLeaderboard row, in RowRevision revision) => Rows.Add($"change {row.PriceBand}: best {row.BestRevenueCents}, {row.Products} products r{revision.Revision}{(revision.IsRetraction ? " retracted" : "")}");
    }

    /// <summary>Revisions of <paramref name="products"/> products' rows, spread over <paramref name="bands"/> price bands (a product may move between them).</summary>
    private static D.RevenueByProduct[] Revisions(Random rng, int products, int count, int bands)
    {
        var rows = new D.RevenueByProduct[count];
        for (var i = 0; i < count; i++)
            rows[i] = new D.RevenueByProduct { ProductId = rng.Next(1, products + 1), RevenueCents = rng.Next(0, 1_000), Cheapest = 100 * (1 + rng.Next(bands)), Orders = 1 };
        return rows;
    }

    private static byte[] Snapshot(Func<IBufferWriter<byte>, int> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Apply(Damage damage, byte[] snapshot, byte[]? empty, Random rng, out string where)
    {
        var sides = empty is not null;
        var stateLength = sides ? SnapshotDamage.SideSplit(snapshot).StateLength : snapshot.Length;
        long bit;
        switch (damage)
        {
            case Damage.StateBit:
                return SnapshotDamage.FlipBitNamed(snapshot, 0, stateLength, rng, out where);
            case Damage.SideBit:
                return SnapshotDamage.FlipBitNamed(snapshot, stateLength, snapshot.Length - 12, rng, out where);
            case Damage.FirstTableUnderSeal or Damage.SecondTableUnderSeal:
            {
                var state = sides ? SnapshotDamage.StatePart(snapshot) : snapshot.ToArray();
                var (at, length) = Tables(state)[damage == Damage.FirstTableUnderSeal ? 0 : 1];
                state = SnapshotDamage.FlipBit(state, at, at + length, rng, out bit);
                SnapshotDamage.Reseal(state);
                where = $"bit {bit}";
                return sides ? SnapshotDamage.WithStatePart(snapshot, state) : state;
            }
            case Damage.KeptRowsWithoutStateUnderSeal:
            {
                // A's header and upstream rows, an empty operator's downstream table, sealed again.
                var state = SnapshotDamage.StatePart(snapshot);
                var (rowsAt, rowsLength) = Tables(state)[0];
                var emptyState = SnapshotDamage.StatePart(empty!);
                var (tableAt, tableLength) = Tables(emptyState)[1];
                var joined = new byte[rowsAt + rowsLength + 4 + tableLength + 4];
                state.AsSpan(0, rowsAt + rowsLength).CopyTo(joined);
                BinaryPrimitives.WriteInt32LittleEndian(joined.AsSpan(rowsAt + rowsLength), tableLength);
                emptyState.AsSpan(tableAt, tableLength).CopyTo(joined.AsSpan(rowsAt + rowsLength + 4));
                SnapshotDamage.Reseal(joined);
                where = "an empty downstream table";
                return SnapshotDamage.WithStatePart(snapshot, joined);
            }
            default:
            {
                var damaged = SnapshotDamage.Truncate(snapshot, rng, out var length);
                where = $"cut to {length} of {snapshot.Length} bytes";
                return damaged;
            }
        }
    }

    /// <summary>The offset and length of the two tables of a "KUPS" part: after the 24-byte header, each after its i32 length.</summary>
    private static (int At, int Length)[] Tables(byte[] state)
    {
        var first = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(24));
        var second = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(28 + first));
        Assert.Equal(state.Length - 4, 32 + first + second);
        return [(28, first), (32 + first, second)];
    }

    /// <summary>Everything the operator reports: counters, its snapshot, and its one row with the leaderboard read out.</summary>
    private static List<string> Describe(Top op)
    {
        var lines = Header(op.Rebuilds, op.ChangesEmitted, op.Count, op.UpstreamRows, op.RowsApplied, Snapshot(op.WriteSnapshot));
        if (op.TryGet(0, out var row))
        {
            var top = new LeaderboardEntry<long, long>[10];
            var n = row.Top.CopyTop(top);
            lines.Add($"{row.Products} products, top [{string.Join(", ", top.Take(n).Select(e => $"{e.Key}={e.Value}"))}]");
        }
        return lines;
    }

    private static List<string> Describe(Leaderboard op)
    {
        var lines = Header(op.Rebuilds, op.ChangesEmitted, op.Count, op.UpstreamRows, op.RowsApplied, Snapshot(op.WriteSnapshot));
        var rows = new List<string>();
        foreach (var row in op.GetRows()) rows.Add($"{row.PriceBand}: best {row.BestRevenueCents}, {row.Products} products");
        rows.Sort(StringComparer.Ordinal);
        lines.AddRange(rows);
        return lines;
    }

    /// <summary>The counters and snapshot hash every upsert operator's description starts with.</summary>
    private static List<string> Header(long rebuilds, long changes, int keys, int upstreamRows, long rowsApplied, byte[] snapshot) =>
    [
        $"rebuilds {rebuilds}, change rows {changes}",
        $"keys {keys}, upstream rows {upstreamRows}, rows applied {rowsApplied}",
        "snapshot " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(snapshot)),
    ];
}
