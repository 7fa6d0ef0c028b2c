using System.Buffers;
using System.Runtime.CompilerServices;
using Kernel.Operators;
using Kernel.State;
using Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.State;

/// <summary>A 16-byte state (a sum and a count): its entry fits half a line.</summary>
public struct Small16
{
    public long Sum, Count;

    public static Small16 Of(long k) => new() { Sum = 3 * k + 1, Count = -k };
}

/// <summary>A 56-byte state: with its key exactly one line (the largest entry on the 64-byte stride).</summary>
public struct Small56
{
    public long A, B, C, D, E, F, G;

    public static Small56 Of(long k) => new() { A = k, B = k + 1, C = k + 2, D = k + 3, E = k + 4, F = k + 5, G = -k };
}

/// <summary>A 64-byte state: it fits a line but its entry does not (the 128-byte stride).</summary>
public struct Small64
{
    public long A, B, C, D, E, F, G, H;

    public static Small64 Of(long k) => new() { A = k, B = k + 1, C = k + 2, D = k + 3, E = k + 4, F = k + 5, G = k + 6, H = -k };
}

/// <summary>Direct indexing, a declared hot prefix, and small states lined too (as the keyed aggregator's hasher).</summary>
public struct SmallLinedHasher : IKeyHasher<long>
{
    public static ulong Hash(in long key) => (ulong)key * 0x9E3779B97F4A7C15UL;

    public static bool DirectIndex => true;

    public static int DirectHotBytes => 16;

    public static bool LinesSmallStates => true;
}

/// <summary><see cref="SmallLinedHasher"/> without <see cref="IKeyHasher{TKey}.LinesSmallStates"/>: small states stay packed.</summary>
public struct SmallPackedHasher : IKeyHasher<long>
{
    public static ulong Hash(in long key) => (ulong)key * 0x9E3779B97F4A7C15UL;

    public static bool DirectIndex => true;

    public static int DirectHotBytes => 16;
}

/// <summary>
/// Lined direct mode for states that fit one cache line (<see cref="IKeyHasher{TKey}.LinesSmallStates"/>): entries
/// 32 bytes apart when they fit in 32, 64 when they fit a line and 128 otherwise, no state across a line, and every
/// reader of the table (lookups, enumeration, snapshots, the move to hashed mode) unchanged.
/// </summary>
public sealed class StateTableSmallLinedTests
{
    private static unsafe nint AddressOf<T>(ref T value) => (nint)Unsafe.AsPointer(ref value);

    private static void AssertStride<TState, THasher>(int keys, int stride, Func<long, TState> of)
        where TState : unmanaged
        where THasher : struct, IKeyHasher<long>
    {
        var table = new StateTable<long, TState, THasher>("Tests.SmallLined", 7, 16);
        for (long k = 0; k < keys; k++)
        {
            table.GetValueRefOrAdd(k, out _) = of(k);
            if ((k & (k + 1)) != 0 && k != keys - 1) continue;   // check after 2^n − 1 keys and at the end
            Assert.True(table.IsDirect);
            Assert.True(table.IsLined, $"{typeof(TState).Name} with {k + 1} keys is not lined");
            for (long j = 0; j <= k; j++)
            {
                var address = AddressOf(ref table.GetValueRefOrNullRef(j));
                Assert.True(address % Math.Min(stride, 64) == 0, $"{typeof(TState).Name}: key {j} of {k + 1}: state at 0x{address:X} is not on a {Math.Min(stride, 64)}-byte boundary");
                Assert.True(address / 64 == (address + Unsafe.SizeOf<TState>() - 1) / 64, $"{typeof(TState).Name}: key {j}: state at 0x{address:X} crosses a line");
                if (j > 0) Assert.Equal(stride, address - AddressOf(ref table.GetValueRefOrNullRef(j - 1)));
            }
        }
        // Every key keeps its own value: with the 32- and 64-byte strides an entry's key sits right after the
        // previous key's state, so an overlap would show here.
        for (long k = 0; k < keys; k++)
        {
            Assert.True(table.TryGetValue(k, out var s), $"key {k}");
            Assert.Equal(of(k), s);
        }
        var n = 0L;
        foreach (ref var e in table)
        {
            Assert.Equal(of(e.Key), e.State);
            n++;
        }
        Assert.Equal(keys, n);
    }

    [Fact]
    public void SmallEntries_AreHalfALineApart_LineSizedOnesOne_AndWiderTwo()
    {
        AssertStride<Small16, SmallLinedHasher>(3_000, 32, Small16.Of);
        AssertStride<Small56, SmallLinedHasher>(1_500, 64, Small56.Of);
        AssertStride<Small64, SmallLinedHasher>(1_500, 128, Small64.Of);
    }

    [Fact]
    public void WithoutTheOptIn_SmallStatesStayPacked()
    {
        var table = new StateTable<long, Small16, SmallPackedHasher>("Tests.SmallLined", 7, 100);
        for (long k = 0; k < 100; k++) table.GetValueRefOrAdd(k, out _) = Small16.Of(k);
        Assert.True(table.IsDirect);
        Assert.False(table.IsLined);
        Assert.Equal(Unsafe.SizeOf<StateEntry<long, Small16>>(), AddressOf(ref table.GetValueRefOrNullRef(1)) - AddressOf(ref table.GetValueRefOrNullRef(0)));
    }

    [Fact]
    public void KeyedAggregator_SumAndCount_RunsOnALinedTable()
    {
        Assert.Equal(16, Unsafe.SizeOf<ProductSumCount.State>());
        var op = new KeyedAggregator<Order, long, ProductSumCount.State, ProductSumCount, ProductSumCount.Spec>(1_000);
        var orders = new Order[1_000];
        for (var i = 0; i < orders.Length; i++) orders[i] = new Order { OrderId = i, ProductId = i % 500, PriceCents = 100 + i, Quantity = 1 + i % 3, TimestampMs = i };
        op.Apply(orders);
        Assert.True(op.TableLined);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomOperations_MatchADictionary_AcrossSnapshotsAndTheMoveToHashed(int seed)
    {
        // Adds, updates and removes over dense keys (lined), full and incremental snapshots restored into
        // fresh tables, then a sparse key that moves the table to hashed (packed) mode, and back.
        var rng = new Random(seed);
        var model = new Dictionary<long, Small16>();
        var table = new StateTable<long, Small16, SmallLinedHasher>("Tests.SmallLined", 7, 16);
        var full = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(full, SnapshotScope.Full);
        var restoredBase = new StateTable<long, Small16, SmallLinedHasher>("Tests.SmallLined", 7, 16);
        for (var step = 0; step < 20_000; step++)
        {
            var k = (long)rng.Next(2_000);
            switch (rng.Next(10))
            {
                case < 6:
                    ref var s = ref table.GetValueRefOrAdd(k, out var added);
                    Assert.Equal(!model.ContainsKey(k), added);
                    s.Sum += k;
                    s.Count++;
                    var m = model.GetValueOrDefault(k);
                    m.Sum += k;
                    m.Count++;
                    model[k] = m;
                    break;
                case < 8:
                    Assert.True(model.Remove(k) == table.Remove(k), $"seed {seed}, step {step}: remove {k}");
                    break;
                default:
                    Assert.True(model.TryGetValue(k, out var expected) == table.TryGetValue(k, out var actual), $"seed {seed}, step {step}: lookup {k}");
                    Assert.Equal(expected, actual);
                    break;
            }
            if (step == 5_000)
            {
                Assert.True(table.IsLined, $"seed {seed}");
                full.Clear();
                table.WriteSnapshot(full, SnapshotScope.Full);
                restoredBase.Restore(full.WrittenSpan);
                table.MarkClean();
            }
            if (step == 12_000)
            {
                var delta = new ArrayBufferWriter<byte>();
                table.WriteSnapshot(delta, SnapshotScope.Changes);
                restoredBase.Restore(delta.WrittenSpan);
                Assert.True(restoredBase.IsLined, $"seed {seed}");
                AssertSame(model, restoredBase, $"seed {seed}, restored at step {step}");
            }
            if (step == 15_000)
            {
                table.GetValueRefOrAdd(9_000_000_000L, out _) = Small16.Of(9);
                model[9_000_000_000L] = Small16.Of(9);
                Assert.False(table.IsLined, $"seed {seed}: a sparse key must leave direct mode");
            }
            if (step == 17_000)
            {
                Assert.True(table.Remove(9_000_000_000L));
                model.Remove(9_000_000_000L);
            }
        }
        AssertSame(model, table, $"seed {seed}, end");
    }

    private static void AssertSame(Dictionary<long, Small16> model, StateTable<long, Small16, SmallLinedHasher> table, string where)
    {
        Assert.True(model.Count == table.Count, $"{where}: {table.Count} keys, expected {model.Count}");
        foreach (var (k, v) in model)
        {
            Assert.True(table.TryGetValue(k, out var s), $"{where}: key {k} missing");
            Assert.True(v.Equals(s), $"{where}: key {k} holds ({s.Sum}, {s.Count}), expected ({v.Sum}, {v.Count})");
        }
    }
}
