using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Sketches;
using Kernel.State;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Infrastructure;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using static Kernel.Tests.Infrastructure.SalesTotals;
using D = Kernel.Tests.Generators.Declarations;
using Reach = Kernel.Operators.KeyedAggregator<Kernel.Tests.Generators.Declarations.Order, long, Kernel.Tests.Generators.Declarations.CustomerReach.State, Kernel.Tests.Generators.Declarations.CustomerReach, Kernel.Tests.Generators.Declarations.CustomerReach.Spec>;
using ReachP12 = Kernel.Operators.KeyedAggregator<Kernel.Tests.Generators.Declarations.Order, long, Kernel.Tests.Generators.Declarations.CustomerReachP12.State, Kernel.Tests.Generators.Declarations.CustomerReachP12, Kernel.Tests.Generators.Declarations.CustomerReachP12.Spec>;
using Totals = Kernel.Operators.KeyedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState, Kernel.Tests.Operators.Specs.SalesTotalRow, Kernel.Tests.Operators.Specs.SalesTotalSpec>;

namespace Kernel.Tests.Operators;

/// <summary>
/// A restore the bytes fail leaves the unwindowed keyed operator as it was: an operator holding state B,
/// handed a damaged snapshot of state A, throws <see cref="InvalidDataException"/> and then reports B exactly
/// (rows with their sketches, counters, its own snapshot) and goes on as a twin that never saw the damaged
/// bytes. Before, the sketches were restored first and the table checked after, so a damaged table left A's
/// sketches beside B's table; a key held twice was found with the table half filled; a store the metadata
/// did not describe was found with the table replaced; and a full snapshot dropped the spilled keys before
/// its checks. Each damage is placed at a seeded random bit, printed with the seed on failure.
/// </summary>
public sealed class KeyedRestoreAtomicityTests : IDisposable
{
    private readonly TempDirectory _dir = new("keyed-restore-atomicity");

    public void Dispose() => _dir.Dispose();

    /// <summary>Damage done to a snapshot of <see cref="D.CustomerReach"/> (sketches beside the table).</summary>
    public enum Damage
    {
        /// <summary>A bit of the operator's own part (its CRC refuses it, after the side state checked out).</summary>
        StateBit,

        /// <summary>A bit of the side state (its trailer's CRC refuses it).</summary>
        SideBit,

        /// <summary>A bit of a sample, the second sketch pool, under the side state's seal (the sample's frame refuses it).</summary>
        SecondPoolUnderSeal,

        /// <summary>A key written twice under the seal of the operator's part ("KKAG" only).</summary>
        RepeatedKeyUnderSeal,

        /// <summary>The bytes cut at a random length.</summary>
        Truncated,
    }

    /// <summary>Which restore the test calls: the public one ("KSTB" table format) or the checkpoint participant's ("KKAG").</summary>
    public enum Entry
    {
        Table,
        Operator,
    }

    public static TheoryData<int, Damage, Entry> Cases()
    {
        var data = new TheoryData<int, Damage, Entry>();
        var seed = 4100;
        foreach (var entry in Enum.GetValues<Entry>())
            foreach (var damage in Enum.GetValues<Damage>())
            {
                if (damage == Damage.RepeatedKeyUnderSeal && entry == Entry.Table) continue;   // a table snapshot may repeat a key (the last one wins)
                for (var i = 0; i < 3; i++) data.Add(seed++, damage, entry);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ARejectedSnapshot_LeavesTheOperatorAsItWas(int seed, Damage damage, Entry entry)
    {
        var rng = new Random(seed);
        var (a, b, twin, tail) = ReachStates(rng);
        var snapshot = Snapshot(a, entry);
        var damaged = Apply(damage, snapshot, rng, out var where);
        var before = Describe(b);

        var error = Assert.Throws<InvalidDataException>(() => Restore(b, damaged, entry));

        var what = $"seed {seed}, {damage} ({where}), {entry} restore, refused with \"{error.Message}\"";
        SnapshotDamage.AssertSame(before, Describe(b), what);
        b.Apply(tail);
        twin.Apply(tail);
        SnapshotDamage.AssertSame(Describe(twin), Describe(b), what + ", then fed the same events as a twin");
    }

    [Theory]
    [InlineData(4201, Entry.Table)]
    [InlineData(4202, Entry.Operator)]
    public void TheSameSnapshotUndamaged_RestoresA(int seed, Entry entry)
    {
        var (a, b, _, tail) = ReachStates(new Random(seed));
        Restore(b, Snapshot(a, entry), entry);
        // A restored table may hold its keys in another slot order, so its snapshot may list them in another order;
        // a table snapshot ("KSTB") holds the table alone, without the events seen and the watermark.
        List<string> State(List<string> lines) => lines.Where(l => !l.StartsWith("snapshot ", StringComparison.Ordinal)
            && (entry == Entry.Operator || !l.StartsWith("events seen ", StringComparison.Ordinal))).ToList();
        SnapshotDamage.AssertSame(State(Describe(a)), State(Describe(b)), $"seed {seed}, {entry} restore");
        a.Apply(tail);
        b.Apply(tail);
        SnapshotDamage.AssertSame(State(Describe(a)), State(Describe(b)), $"seed {seed}, {entry} restore, then fed the same events");
    }

    /// <summary>
    /// A snapshot written under other sketch settings (<see cref="D.CustomerReach"/>'s distinct count of the default
    /// precision 14, restored into <see cref="D.CustomerReachP12"/>'s of 12; the precision is part of the state
    /// fingerprint) is refused by the fingerprint check, naming the aggregation, and changes nothing. Both restores
    /// checked the sketches first and were refused by the first sketch pool instead ("field 'precision'").
    /// </summary>
    [Theory]
    [InlineData(4501, Entry.Table)]
    [InlineData(4502, Entry.Operator)]
    public void ASnapshotOfOtherSketchSettings_IsRefusedByTheFingerprint(int seed, Entry entry)
    {
        var rng = new Random(seed);
        var a = new Reach(64);
        a.Apply(Orders(rng, 2_000, 0));
        var snapshot = Snapshot(a, entry);
        var p12 = new ReachP12(64);
        p12.Apply(Orders(rng, 1_500, 100));
        Assert.NotEqual(D.CustomerReach.Spec.StateFingerprint, D.CustomerReachP12.Spec.StateFingerprint);
        var before = Describe(p12);

        var error = Assert.Throws<InvalidDataException>(() =>
        {
            if (entry == Entry.Operator) ((ISnapshotOperator)p12).RestoreSnapshot(snapshot);
            else p12.Restore(snapshot);
        });

        var what = $"seed {seed}, {entry} restore, refused with \"{error.Message}\"";
        Assert.True(error.Message.Contains("fingerprint", StringComparison.Ordinal) && error.Message.Contains($"aggregation '{D.CustomerReachP12.Spec.Name}'", StringComparison.Ordinal), $"{what}: the message does not say the aggregation's state fingerprint differs");
        SnapshotDamage.AssertSame(before, Describe(p12), what);
    }

    [Theory]
    [InlineData(4301)]
    [InlineData(4302)]
    [InlineData(4303)]
    public async Task ADamagedFullTableSnapshot_KeepsTheSpilledKeys(int seed)
    {
        var rng = new Random(seed);
        var (participant, op, _, coordinator) = CheckpointRig<Totals>.Open(Path.Combine(_dir.Path, $"live-{seed}"), new CheckpointStore(Path.Combine(_dir.Path, $"data-{seed}")),
            p => new Totals(new KeyedAggregatorOptions { InitialCapacity = 16, Control = p, StateBudgetEntries = 100 }));
        var fill = new Specs.Order[3_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Specs.Order.Of(i, 0, 10 + i);
        op.Apply(fill);
        await CheckpointAsync(coordinator, participant);   // full: every key in the store
        var hot = new Specs.Order[1_000];
        for (var i = 0; i < hot.Length; i++) hot[i] = Specs.Order.Of(i % 10, 0, 1 + i);
        op.Apply(hot);
        await CheckpointAsync(coordinator, participant);   // over budget: the idle keys leave memory
        Assert.True(op.SpilledEntries > 0, $"seed {seed}: nothing spilled");

        var other = new Totals(16);
        other.Apply(Events(rng, 2_000, sparse: false));
        var buffer = new ArrayBufferWriter<byte>();
        other.WriteSnapshot(buffer, SnapshotScope.Full);
        var damaged = SnapshotDamage.FlipBit(buffer.WrittenSpan.ToArray(), 0, buffer.WrittenCount, rng, out var bit);
        var (spilled, inMemory, rows) = (op.SpilledEntries, op.Count, Rows(op));

        var error = Assert.Throws<InvalidDataException>(() => op.Restore(damaged));

        var what = $"seed {seed}, bit {bit} of the full table snapshot, refused with \"{error.Message}\"";
        Assert.True((spilled, inMemory) == (op.SpilledEntries, op.Count), $"{what}: {op.Count} keys in memory and {op.SpilledEntries} spilled, before {inMemory} and {spilled}");
        Assert.True(rows.SequenceEqual(Rows(op)), $"{what}: the rows changed");
        participant.CloseStore();
    }

    /// <summary>The metadata of an incremental checkpoint lists one entry more than its store holds (under its own CRC).</summary>
    [Theory]
    [InlineData(4401, false)]
    [InlineData(4402, true)]
    public async Task AnIncrementalCheckpointItsStoreDoesNotMatch_LeavesTheOperatorAsItWas(int seed, bool flipABitInstead)
    {
        var rng = new Random(seed);
        var store = new CheckpointStore(Path.Combine(_dir.Path, $"data-{seed}"));
        var (participant, a, _, coordinator) = CheckpointRig<Totals>.Open(Path.Combine(_dir.Path, $"live-a-{seed}"), store, p => new Totals(16, p));
        a.Apply(Events(rng, 5_000, sparse: true));
        var id = (await CheckpointAsync(coordinator, participant)).CheckpointId;
        participant.CloseStore();
        var metaPath = Path.Combine(store.GetCheckpointDirectory(id), "sales" + IncrementalState.MetadataSuffix);
        var metadata = File.ReadAllBytes(metaPath);
        string where;
        if (flipABitInstead)
        {
            metadata = SnapshotDamage.FlipBit(metadata, 0, metadata.Length, rng, out var bit);
            where = $"bit {bit} of the metadata";
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(metadata.AsSpan(40), BinaryPrimitives.ReadInt32LittleEndian(metadata.AsSpan(40)) + 1);
            SnapshotDamage.Reseal(metadata);
            where = "entry count + 1 under the metadata's CRC";
        }
        File.WriteAllBytes(metaPath, metadata);

        var (again, b) = CheckpointRig<Totals>.Bound(Path.Combine(_dir.Path, $"live-b-{seed}"), p => new Totals(16, p));
        var events = Events(rng, 3_000, sparse: false);
        b.Apply(events);
        var twin = new Totals(16);
        twin.Apply(events);
        var (rows, seen) = (Rows(b), b.EventsSeen);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await RestoreAsync(again, store, id));

        var what = $"seed {seed}, {where}, refused with \"{error.Message}\"";
        Assert.True(rows.SequenceEqual(Rows(b)) && seen == b.EventsSeen, $"{what}: the rows or the events seen changed");
        var tail = Events(rng, 1_000, sparse: false);
        b.Apply(tail);
        twin.Apply(tail);
        Assert.True(Rows(twin).SequenceEqual(Rows(b)), $"{what}: fed the same events as a twin, the rows differ");
        again.CloseStore();
    }

    /// <summary>State A, state B, a twin of B, and events for B and its twin to go on with.</summary>
    private static (Reach A, Reach B, Reach Twin, D.Order[] Tail) ReachStates(Random rng)
    {
        var a = new Reach(64);
        a.Apply(Orders(rng, 2_000, 0));
        var b = new Reach(64);
        var twin = new Reach(64);
        var forB = Orders(rng, 1_500, 100);
        b.Apply(forB);
        twin.Apply(forB);
        return (a, b, twin, Orders(rng, 500, 100));
    }

    /// <summary>Orders of 12 products (ids from <paramref name="firstProduct"/>), each bought by customers of its own pool.</summary>
    private static D.Order[] Orders(Random rng, int count, int firstProduct)
    {
        var orders = new D.Order[count];
        for (var i = 0; i < count; i++)
        {
            var product = firstProduct + rng.Next(1, 13);
            orders[i] = new D.Order { OrderId = rng.NextInt64(1L << 40), ProductId = product, CustomerId = product * 1_000_000L + rng.Next(300), PriceCents = 100 + rng.Next(900), Quantity = 1, TimestampMs = i };
        }
        return orders;
    }

    private static byte[] Snapshot(Reach op, Entry entry)
    {
        if (entry == Entry.Operator) return FullSnapshot(op);
        var buffer = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(buffer, SnapshotScope.Full);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Restore(Reach op, byte[] snapshot, Entry entry)
    {
        if (entry == Entry.Operator) ((ISnapshotOperator)op).RestoreSnapshot(snapshot);
        else op.Restore(snapshot);
    }

    private static byte[] Apply(Damage damage, byte[] snapshot, Random rng, out string where)
    {
        if (SnapshotDamage.TryApplyShared(damage.ToString(), snapshot, rng, out var shared, out where)) return shared;
        switch (damage)
        {
            case Damage.RepeatedKeyUnderSeal:
            {
                // "KKAG": 48-byte header, then entries of key (8 bytes) and aggregate; the part ends with its CRC.
                var state = SnapshotDamage.StatePart(snapshot);
                var entrySize = 8 + BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(36));
                var count = BinaryPrimitives.ReadInt32LittleEndian(state.AsSpan(40));
                var (from, to) = (rng.Next(count), rng.Next(count - 1));
                if (to >= from) to++;
                state.AsSpan(48 + from * entrySize, 8).CopyTo(state.AsSpan(48 + to * entrySize));
                SnapshotDamage.Reseal(state);
                where = $"entry {to} given entry {from}'s key";
                return SnapshotDamage.WithStatePart(snapshot, state);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, "no such damage");
        }
    }

    /// <summary>Everything the operator reports: counters, its full snapshot (table and sketches) and its rows, sketches read out.</summary>
    private static List<string> Describe(Reach op) =>
        Describe(op, row => Row(row.ProductId, row.Orders, row.Customers, row.Sample));

    private static List<string> Describe(ReachP12 op) =>
        Describe(op, row => Row(row.ProductId, row.Orders, row.Customers, row.Sample));

    private static List<string> Describe<TState, TRow, TSpec>(KeyedAggregator<D.Order, long, TState, TRow, TSpec> op, Func<TRow, string> row)
        where TState : unmanaged
        where TSpec : struct, IAggregationSpec<D.Order, long, TState, TRow>
    {
        var lines = new List<string>
        {
            $"count {op.Count}",
            $"events seen {op.EventsSeen}, watermark {op.Watermark}",
            "snapshot " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(FullSnapshot(op))),
        };
        var rows = new List<string>();
        foreach (var r in op.GetRows()) rows.Add(row(r));
        rows.Sort(StringComparer.Ordinal);
        lines.AddRange(rows);
        return lines;
    }

    private static string Row(long productId, long orders, long customers, Reservoir<D.Order> sample) =>
        string.Create(CultureInfo.InvariantCulture, $"{productId}: {orders} orders, ~{customers} customers, sample of {sample.Seen} [{string.Join(",", sample.Items.ToArray().Select(o => o.OrderId))}]");
}
