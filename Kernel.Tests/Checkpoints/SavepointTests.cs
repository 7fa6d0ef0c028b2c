using System.Runtime.CompilerServices;
using Kernel.Checkpoints;
using Kernel.Operators;
using RegionTemperatures = Kernel.Tests.Generators.Declarations.RegionTemperatures;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// Savepoints with state-schema evolution: a savepoint written by one "build" (spec V1) restored by
/// another (V2 adds a field, drops one and reorders the rest) migrates; an incompatible change (the
/// key's type, an aggregate's kind) is refused with a message naming the aggregation and the field.
/// Expected rows come from a GROUP BY over the input, never from the operator.
/// </summary>
public sealed class SavepointTests : IDisposable
{
    private const long Size = 100;
    private readonly TempDirectory _dir = new("savepoint");
    private readonly List<string> _log = [];

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Plan_AddedDroppedReordered_CopiesByNameAndStartsAddedAtTheIdentity()
    {
        var migration = StateMigration.Plan(Layout<V1Spec, long, V1State>(), Layout<V2Spec, long, V2State>());
        Assert.Equal(["Units", "Cheapest2"], migration.Added);
        Assert.Equal(["Cheapest"], migration.Dropped);
        var old = new V1State { Revenue = 12_345, Orders = 7, Cheapest = 99 };
        V2State migrated = default;
        migration.Migrate(MemoryMarshalBytes(ref old), MemoryMarshalBytes(ref migrated));
        Assert.Equal(12_345, migrated.Revenue);
        Assert.Equal(7, migrated.Orders);
        Assert.Equal(0, migrated.Units);
        Assert.Equal(long.MaxValue, migrated.Cheapest2); // a Min starts at its identity, what Init gives
    }

    [Fact]
    public async Task Savepoint_RestoredByANewBuild_MigratesAndGoesOnWithTheRightNumbers()
    {
        var events = Events(new Random(71), 4_000);
        var cut = 1_700;
        var savepointDir = Path.Combine(_dir.Path, "sp");

        // "Old build": run V1 up to the cut, checkpoint, write the savepoint.
        var v1Rows = new SalesCollector();
        var v1Participant = new OperatorParticipant("sales");
        var v1 = new WindowedAggregator<Order, long, V1State, SalesRow, V1Spec>(v1Rows, null, Options(v1Participant));
        v1Participant.Bind(v1);
        v1.Apply(events.AsSpan(0, cut));
        var written = await Checkpoint(v1Participant, savepointDir);
        Assert.NotNull(written.Operators[0].Layout);

        // "New build", new process: nothing shared but the directory.
        var savepoint = Savepoint.Read(savepointDir);
        Assert.Equal(0x5A1E500000000001UL, savepoint.Operators[0].Fingerprint);
        var v2Rows = new SalesCollector();
        var v2Participant = new OperatorParticipant("sales");
        var v2 = new WindowedAggregator<Order, long, V2State, SalesRow, V2Spec>(v2Rows, null, Options(v2Participant));
        v2Participant.Bind(v2);
        var migration = await v2Participant.RestoreFromSavepointAsync(savepoint, savepointDir, CancellationToken.None);
        Assert.NotNull(migration);
        Assert.Equal(["Units", "Cheapest2"], migration.Added);
        v2.Apply(events.AsSpan(cut));
        v2.EndOfInput();

        // Revenue and orders cover every event; the added Units start at the savepoint.
        var expected = events.Select((e, i) => (e, i))
            .GroupBy(x => (x.e.ProductId, Start: x.e.TimestampMs / Size * Size))
            .ToDictionary(g => g.Key, g => (Revenue: g.Sum(x => x.e.RevenueCents), Orders: (long)g.Count(), Units: g.Where(x => x.i >= cut).Sum(x => (long)x.e.Quantity)));
        var all = v1Rows.Rows.Concat(v2Rows.Rows).ToList();
        Assert.Equal(expected.Count, all.Count);
        Assert.True(v1Rows.Rows.Count > 0 && v2Rows.Rows.Count > 0, "seed 71: windows should close on both sides of the cut");
        foreach (var row in all)
        {
            var want = expected[(row.ProductId, row.Start)];
            Assert.True(want.Revenue == row.Revenue && want.Orders == row.Orders, $"seed 71: {row} vs {want}");
            if (v2Rows.Rows.Contains(row)) Assert.True(want.Units == row.Units, $"seed 71: units {row.Units} vs {want.Units} for {row}");
        }
    }

    [Fact]
    public async Task Savepoint_SameBuild_RestoresWithoutMigration()
    {
        var events = Events(new Random(5), 1_000);
        var dir = Path.Combine(_dir.Path, "same");
        var participant = new OperatorParticipant("sales");
        var op = new WindowedAggregator<Order, long, V1State, SalesRow, V1Spec>(new SalesCollector(), null, Options(participant));
        participant.Bind(op);
        op.Apply(events.AsSpan(0, 500));
        await Checkpoint(participant, dir);

        var again = new OperatorParticipant("sales");
        var restored = new WindowedAggregator<Order, long, V1State, SalesRow, V1Spec>(new SalesCollector(), null, Options(again));
        again.Bind(restored);
        Assert.Null(await again.RestoreFromSavepointAsync(Savepoint.Read(dir), dir, CancellationToken.None));
        Assert.Equal(op.StateEntries, restored.StateEntries);
        Assert.Equal(op.Watermark, restored.Watermark);
    }

    [Fact]
    public void Plan_KeyTypeChanged_FailsNamingTheAggregationAndTheField()
    {
        var e = Assert.Throws<InvalidDataException>(() => StateMigration.Plan(Layout<V1Spec, long, V1State>(), Layout<IntKeySpec, int, V1State>()));
        Assert.Contains("'Tests.Sales'", e.Message, StringComparison.Ordinal);
        Assert.Contains("key field 'ProductId' changed type from long to int", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_SumChangedToMax_FailsNamingTheAggregationAndTheField()
    {
        var e = Assert.Throws<InvalidDataException>(() => StateMigration.Plan(Layout<V1Spec, long, V1State>(), Layout<MaxSpec, long, V1State>()));
        Assert.Contains("'Tests.Sales'", e.Message, StringComparison.Ordinal);
        Assert.Contains("state field 'Revenue' changed from Sum to Max", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Savepoint_IncompatibleBuild_IsRefusedBeforeAnyStateChanges()
    {
        var dir = Path.Combine(_dir.Path, "bad");
        var participant = new OperatorParticipant("sales");
        var op = new WindowedAggregator<Order, long, V1State, SalesRow, V1Spec>(new SalesCollector(), null, Options(participant));
        participant.Bind(op);
        op.Apply(Events(new Random(9), 300));
        await Checkpoint(participant, dir);

        var other = new OperatorParticipant("sales");
        var maxOp = new WindowedAggregator<Order, long, V1State, SalesRow, MaxSpec>(new SalesCollector(), null, Options(other));
        other.Bind(maxOp);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => other.RestoreFromSavepointAsync(Savepoint.Read(dir), dir, CancellationToken.None).AsTask());
        Assert.Contains("Revenue", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, maxOp.StateEntries);
    }

    [Fact]
    public void Layout_OfAGeneratedSpec_MatchesTheStructsFieldOffsets()
    {
        var layout = StateLayout.TryOf<RegionTemperatures.Key, RegionTemperatures.State>(
            RegionTemperatures.Spec.Name, RegionTemperatures.Spec.StateFingerprint, typeof(RegionTemperatures.Spec), Unsafe.SizeOf<RegionTemperatures.State>(), new byte[Unsafe.SizeOf<RegionTemperatures.State>()]);
        Assert.NotNull(layout);
        Assert.Equal(RegionTemperatures.Spec.Schema.StateFields.Select(f => f.Name), layout.StateFields.Select(f => f.Name));
        var state = default(RegionTemperatures.State);
        foreach (var field in layout.StateFields)
        {
            var info = typeof(RegionTemperatures.State).GetField(field.Name)!;
            Assert.Equal(Marshal(info.FieldType), field.Size);
        }
        // Independent of the measuring trick: addresses of two fields taken by the compiler.
        Assert.Equal((int)Unsafe.ByteOffset(ref Unsafe.As<RegionTemperatures.State, byte>(ref state), ref Unsafe.As<double, byte>(ref state.Coldest)),
            layout.StateFields.Single(f => f.Name == "Coldest").Offset);
        Assert.Equal((int)Unsafe.ByteOffset(ref Unsafe.As<RegionTemperatures.State, byte>(ref state), ref Unsafe.As<decimal, byte>(ref state.Spend)),
            layout.StateFields.Single(f => f.Name == "Spend").Offset);
        Assert.Equal(Unsafe.SizeOf<RegionTemperatures.Key>(), layout.KeySize);
        Assert.Equal(["Region"], layout.KeyFields.Select(f => f.Name));
    }

    [Fact]
    public void Savepoint_Json_RoundTripsTheLayouts()
    {
        var layout = Layout<V2Spec, long, V2State>();
        var written = new Savepoint(4, 400, new Dictionary<int, long> { [0] = 77, [3] = 9 }, [new SavepointOperator("sales", "Tests.Sales", 0x5A1E500000000002UL, layout)], DateTimeOffset.UnixEpoch);
        Directory.CreateDirectory(Path.Combine(_dir.Path, "json"));
        File.WriteAllBytes(Path.Combine(_dir.Path, "json", Savepoint.FileName), written.ToJson());
        var read = Savepoint.Read(Path.Combine(_dir.Path, "json"));
        Assert.Equal(77, read.SourcePositions[0]);
        Assert.Equal(9, read.SourcePositions[3]);
        var back = read.Operators.Single().Layout!;
        Assert.Equal(layout.StateFields, back.StateFields);
        Assert.Equal(layout.KeyFields, back.KeyFields);
        Assert.Equal(layout.InitialState, back.InitialState);
        Assert.True(StateMigration.Plan(back, layout).IsIdentity);
    }

    private async Task<Savepoint> Checkpoint(OperatorParticipant participant, string savepointDir)
    {
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data-" + Guid.NewGuid().ToString("N")));
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(participant);
        var id = coordinator.ReserveCheckpointId();
        participant.OnBarrier(id, 0); // the barrier reaching the operator's thread
        var result = await coordinator.OnBarrierInjectedAsync(id, 0, CancellationToken.None);
        Assert.Equal(CheckpointOutcome.Completed, result.Outcome);
        return Savepoint.Write(store, id, [participant], savepointDir);
    }

    private static int Marshal(Type t) => (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;

    private static Span<byte> MemoryMarshalBytes<T>(ref T value) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<T>(ref value));

    private static StateLayout Layout<TSpec, TKey, TState>()
        where TSpec : struct, IAggregationSpec<Order, TKey, TState, SalesRow>
        where TKey : unmanaged, IEquatable<TKey>
        where TState : unmanaged
    {
        TSpec.Init(out var init);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<TState>(in init)).ToArray();
        return StateLayout.TryOf<TKey, TState>(TSpec.Name, TSpec.StateFingerprint, typeof(TSpec), Unsafe.SizeOf<TState>(), bytes)!;
    }

    private static WindowOptions Options(OperatorParticipant control) => new()
    {
        Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = Size, SlideMs = Size },
        MaxOutOfOrdernessMs = 0, Emit = EmitMode.Final, Clock = new ManualClock(), Control = control,
    };

    /// <summary>In time order (no late events), a few products, prices and quantities.</summary>
    private static Order[] Events(Random rng, int n)
    {
        var events = new Order[n];
        long t = 1_000;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 3);
            events[i] = Order.Of(rng.Next(12), t, rng.Next(1, 1_000), rng.Next(1, 5), i);
        }
        return events;
    }

    public readonly record struct SalesRow(long ProductId, long Start, long End, long Revenue, long Orders, long Units);

    private sealed class SalesCollector : IRowSink<SalesRow>
    {
        public List<SalesRow> Rows { get; } = [];

        public void OnRow(in SalesRow row, in RowRevision revision) => Rows.Add(row);
    }

    public struct V1State
    {
        public long Revenue;
        public long Orders;
        public long Cheapest;
    }

    /// <summary>V1 with Cheapest dropped, Units and Cheapest2 added, the rest reordered.</summary>
    public struct V2State
    {
        public long Units;
        public long Orders;
        public long Cheapest2;
        public long Revenue;
    }

    private static StateField Key(string type) => new("ProductId", type, AggregateKind.Key, "ProductId");

    private struct V1Spec : IAggregationSpec<Order, long, V1State, SalesRow>
    {
        public static StateSchema Schema { get; } = new("Tests.Sales", StateFingerprint, [Key("long")],
        [
            new("Revenue", "long", AggregateKind.Sum, "RevenueCents"),
            new("Orders", "long", AggregateKind.Count, ""),
            new("Cheapest", "long", AggregateKind.Min, "PriceCents"),
        ]);

        public static string Name => "Tests.Sales";
        public static ulong StateFingerprint => 0x5A1E500000000001UL;
        public static WindowSpec Window => default;
        public static bool Filter(in Order e) => true;
        public static long KeyOf(in Order e) => e.ProductId;
        public static ulong HashKey(in long key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);
        public static long EventTime(in Order e) => e.TimestampMs;
        public static void Init(out V1State state) => state = new V1State { Cheapest = long.MaxValue };

        public static void Update(ref V1State state, in Order e)
        {
            state.Revenue += e.RevenueCents;
            state.Orders++;
            state.Cheapest = Math.Min(state.Cheapest, e.PriceCents);
        }

        public static void Merge(ref V1State into, in V1State other)
        {
            into.Revenue += other.Revenue;
            into.Orders += other.Orders;
            into.Cheapest = Math.Min(into.Cheapest, other.Cheapest);
        }

        public static void ToRow(in long key, in V1State state, long windowStartMs, long windowEndMs, out SalesRow row) =>
            row = new SalesRow(key, windowStartMs, windowEndMs, state.Revenue, state.Orders, 0);
    }

    private struct V2Spec : IAggregationSpec<Order, long, V2State, SalesRow>
    {
        public static StateSchema Schema { get; } = new("Tests.Sales", StateFingerprint, [Key("long")],
        [
            new("Units", "long", AggregateKind.Sum, "Quantity"),
            new("Orders", "long", AggregateKind.Count, ""),
            new("Cheapest2", "long", AggregateKind.Min, "PriceCents"),
            new("Revenue", "long", AggregateKind.Sum, "RevenueCents"),
        ]);

        public static string Name => "Tests.Sales";
        public static ulong StateFingerprint => 0x5A1E500000000002UL;
        public static WindowSpec Window => default;
        public static bool Filter(in Order e) => true;
        public static long KeyOf(in Order e) => e.ProductId;
        public static ulong HashKey(in long key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);
        public static long EventTime(in Order e) => e.TimestampMs;
        public static void Init(out V2State state) => state = new V2State { Cheapest2 = long.MaxValue };

        public static void Update(ref V2State state, in Order e)
        {
            state.Revenue += e.RevenueCents;
            state.Orders++;
            state.Units += e.Quantity;
            state.Cheapest2 = Math.Min(state.Cheapest2, e.PriceCents);
        }

        public static void Merge(ref V2State into, in V2State other)
        {
            into.Revenue += other.Revenue;
            into.Orders += other.Orders;
            into.Units += other.Units;
            into.Cheapest2 = Math.Min(into.Cheapest2, other.Cheapest2);
        }

        public static void ToRow(in long key, in V2State state, long windowStartMs, long windowEndMs, out SalesRow row) =>
            row = new SalesRow(key, windowStartMs, windowEndMs, state.Revenue, state.Orders, state.Units);
    }

    /// <summary>V1 keyed by an int: the key's type changed.</summary>
    private struct IntKeySpec : IAggregationSpec<Order, int, V1State, SalesRow>
    {
        public static StateSchema Schema { get; } = new("Tests.Sales", StateFingerprint, [Key("int")], [.. V1Spec.Schema.StateFields]);

        public static string Name => "Tests.Sales";
        public static ulong StateFingerprint => 0x5A1E500000000003UL;
        public static WindowSpec Window => default;
        public static bool Filter(in Order e) => true;
        public static int KeyOf(in Order e) => (int)e.ProductId;
        public static ulong HashKey(in int key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);
        public static long EventTime(in Order e) => e.TimestampMs;
        public static void Init(out V1State state) => V1Spec.Init(out state);
        public static void Update(ref V1State state, in Order e) => V1Spec.Update(ref state, e);
        public static void Merge(ref V1State into, in V1State other) => V1Spec.Merge(ref into, other);

        public static void ToRow(in int key, in V1State state, long windowStartMs, long windowEndMs, out SalesRow row) =>
            V1Spec.ToRow(key, state, windowStartMs, windowEndMs, out row);
    }

    /// <summary>V1 with Revenue declared [Max] instead of [Sum]: same layout, another meaning.</summary>
    private struct MaxSpec : IAggregationSpec<Order, long, V1State, SalesRow>
    {
        public static StateSchema Schema { get; } = new("Tests.Sales", StateFingerprint, [Key("long")],
        [
            new("Revenue", "long", AggregateKind.Max, "RevenueCents"),
            new("Orders", "long", AggregateKind.Count, ""),
            new("Cheapest", "long", AggregateKind.Min, "PriceCents"),
        ]);

        public static string Name => "Tests.Sales";
        public static ulong StateFingerprint => 0x5A1E500000000004UL;
        public static WindowSpec Window => default;
        public static bool Filter(in Order e) => true;
        public static long KeyOf(in Order e) => e.ProductId;
        public static ulong HashKey(in long key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);
        public static long EventTime(in Order e) => e.TimestampMs;
        public static void Init(out V1State state) => V1Spec.Init(out state);

        public static void Update(ref V1State state, in Order e)
        {
            state.Revenue = Math.Max(state.Revenue, e.RevenueCents);
            state.Orders++;
        }

        public static void Merge(ref V1State into, in V1State other) => into.Revenue = Math.Max(into.Revenue, other.Revenue);

        public static void ToRow(in long key, in V1State state, long windowStartMs, long windowEndMs, out SalesRow row) =>
            V1Spec.ToRow(key, state, windowStartMs, windowEndMs, out row);
    }
}
