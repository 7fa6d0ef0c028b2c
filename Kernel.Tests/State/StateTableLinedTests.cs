using System.Buffers;
using System.Runtime.CompilerServices;
using Kernel.Operators;
using Kernel.State;
using Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.State;

/// <summary>A 72-byte state whose first 64 bytes are its hot prefix (the aggregate suite's shape).</summary>
public struct Wide72
{
    public long A, B, C, D, E, F, G, H;
    public long Cold;

    public static Wide72 Of(long k) => new() { A = k, B = k + 1, C = k + 2, D = k + 3, E = k + 4, F = k + 5, G = k + 6, H = k + 7, Cold = -k };
}

/// <summary>Direct indexing with a declared 64-byte hot prefix: a table of <see cref="Wide72"/> lays its direct entries lined.</summary>
public struct HotPrefixHasher : IKeyHasher<long>
{
    public static ulong Hash(in long key) => (ulong)key * 0x9E3779B97F4A7C15UL;

    public static bool DirectIndex => true;

    public static int DirectHotBytes => 64;
}

/// <summary>Lined direct mode (<c>LinedEntries</c>): each state's hot prefix on one aligned 64-byte line, and every reader of the table still right.</summary>
public sealed class StateTableLinedTests
{
    private static unsafe nint AddressOf<T>(ref T value) => (nint)Unsafe.AsPointer(ref value);

    private static StateTable<long, Wide72, HotPrefixHasher> Filled(int keys)
    {
        var table = new StateTable<long, Wide72, HotPrefixHasher>("Tests.Lined", 7, 16);
        for (long k = 0; k < keys; k++)
        {
            ref var s = ref table.GetValueRefOrAdd(k, out var added);
            Assert.True(added);
            s = Wide72.Of(k);
        }
        return table;
    }

    private static void AssertHolds(StateTable<long, Wide72, HotPrefixHasher> table, int keys)
    {
        Assert.Equal(keys, table.Count);
        for (long k = 0; k < keys; k++)
        {
            Assert.True(table.TryGetValue(k, out var s), $"key {k}");
            Assert.Equal(Wide72.Of(k), s);
        }
    }

    [Fact]
    public void DirectStates_StartOnA64ByteLine_AcrossGrowths()
    {
        // Grows from 16 slots to 4,096 through several direct reallocations; after each add every held
        // state (the table's arrays may have moved) must begin on a line, so its 64-byte prefix is one line.
        var table = new StateTable<long, Wide72, HotPrefixHasher>("Tests.Lined", 7, 16);
        for (long k = 0; k < 3_000; k++)
        {
            table.GetValueRefOrAdd(k, out _) = Wide72.Of(k);
            if ((k & (k + 1)) != 0 && k != 2_999) continue;   // check after 2^n − 1 keys and at the end
            Assert.True(table.IsDirect);
            Assert.True(table.IsLined);
            for (long j = 0; j <= k; j++)
            {
                var address = AddressOf(ref table.GetValueRefOrNullRef(j));
                Assert.True(address % 64 == 0, $"key {j} of {k + 1}: state at 0x{address:X} is not on a 64-byte line");
            }
        }
        AssertHolds(table, 3_000);
    }

    [Fact]
    public void GeneratedSpec_HotPrefixIsOneAlignedLine()
    {
        // The generated state of the declaration: First's value last, everything Update touches first.
        Assert.Equal(72, Unsafe.SizeOf<RevenueByProduct.State>());
        Assert.Equal(64, RevenueByProduct.Spec.StateHotBytes);
        var table = new StateTable<long, RevenueByProduct.State, StateSpecKeyHasher<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>>("Tests.Lined", 7, 1_000);
        for (long k = 0; k < 1_000; k++) RevenueByProduct.Spec.Init(out table.GetValueRefOrAdd(k, out _));
        Assert.True(table.IsLined);
        for (long k = 0; k < 1_000; k++)
        {
            ref var state = ref table.GetValueRefOrNullRef(k);
            var start = AddressOf(ref state);
            var hotEnd = start + RevenueByProduct.Spec.StateHotBytes - 1;
            Assert.True(start / 64 == hotEnd / 64, $"key {k}: hot prefix 0x{start:X}..0x{hotEnd:X} spans two lines");
            Assert.True(AddressOf(ref state.FirstOrder) >= hotEnd, "First's value must lie after the hot prefix");
        }
    }

    [Fact]
    public void UndeclaredHotPrefix_KeepsPackedEntries()
    {
        var table = new StateTable<long, Wide72, DirectLongHasher>("Tests.Lined", 7, 100);
        for (long k = 0; k < 100; k++) table.GetValueRefOrAdd(k, out _) = Wide72.Of(k);
        Assert.True(table.IsDirect);
        Assert.False(table.IsLined);
        Assert.Equal(Unsafe.SizeOf<StateEntry<long, Wide72>>(), AddressOf(ref table.GetValueRefOrNullRef(1)) - AddressOf(ref table.GetValueRefOrNullRef(0)));
    }

    [Fact]
    public void Enumeration_AndSnapshotRestore_RoundTrip()
    {
        var table = Filled(2_000);
        var seen = 0L;
        foreach (ref var e in table)
        {
            Assert.Equal(seen, e.Key);
            Assert.Equal(Wide72.Of(seen), e.State);
            seen++;
        }
        Assert.Equal(2_000, seen);

        var full = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(full, SnapshotScope.Full);
        var restored = new StateTable<long, Wide72, HotPrefixHasher>("Tests.Lined", 7, 16);
        restored.Restore(full.WrittenSpan);
        Assert.True(restored.IsLined);
        AssertHolds(restored, 2_000);
    }

    [Fact]
    public void IncrementalSnapshot_CarriesChangesAndRemovals()
    {
        var table = Filled(1_000);
        var baseSnap = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(baseSnap, SnapshotScope.Full);
        table.MarkClean();
        for (long k = 0; k < 1_000; k += 7) table.GetValueRefOrAdd(k, out _).Cold = 1_000_000 + k;
        Assert.True(table.Remove(500));
        var delta = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(delta, SnapshotScope.Changes);

        var copy = new StateTable<long, Wide72, HotPrefixHasher>("Tests.Lined", 7, 16);
        copy.Restore(baseSnap.WrittenSpan);
        copy.Restore(delta.WrittenSpan);
        Assert.Equal(999, copy.Count);
        Assert.False(copy.ContainsKey(500));
        for (long k = 0; k < 1_000; k++)
        {
            if (k == 500) continue;
            var expected = Wide72.Of(k);
            if (k % 7 == 0) expected.Cold = 1_000_000 + k;
            Assert.True(copy.TryGetValue(k, out var s), $"key {k}");
            Assert.Equal(expected, s);
        }
    }

    [Fact]
    public void ChangedEntries_CopyRaw_ThenEvictClean_KeepsDirtyOnes()
    {
        var table = Filled(600);
        table.MarkClean();
        for (long k = 0; k < 600; k += 3) table.GetValueRefOrAdd(k, out _).Cold = 42;
        Assert.Equal(200, table.ChangedCount);
        var size = Unsafe.SizeOf<StateEntry<long, Wide72>>();
        var raw = new byte[200 * size];
        Assert.Equal(200, table.CopyChangedEntries(raw));
        for (var i = 0; i < 200; i++)
        {
            var entry = System.Runtime.InteropServices.MemoryMarshal.Read<StateEntry<long, Wide72>>(raw.AsSpan(i * size, size));
            Assert.Equal(0, entry.Key % 3);
            Assert.Equal(42, entry.State.Cold);
            Assert.Equal(entry.Key, entry.State.A);
        }

        Assert.Equal(400, table.EvictClean());
        Assert.True(table.IsLined);
        Assert.Equal(200, table.Count);
        for (long k = 0; k < 600; k++)
        {
            Assert.Equal(k % 3 == 0, table.TryGetValue(k, out var s));
            if (k % 3 == 0) Assert.Equal(k + 7, s.H);
        }
    }

    [Fact]
    public void SparseKey_LeavesLinedMode_KeepingEveryEntry_AndClearEmpties()
    {
        var table = Filled(1_500);
        Assert.True(table.IsLined);
        table.GetValueRefOrAdd(5_000_000_000L, out var added) = Wide72.Of(9);
        Assert.True(added);
        Assert.False(table.IsDirect);
        Assert.False(table.IsLined);
        Assert.True(table.TryGetValue(5_000_000_000L, out var big));
        Assert.Equal(Wide72.Of(9), big);
        Assert.True(table.Remove(5_000_000_000L));
        AssertHolds(table, 1_500);

        var lined = Filled(100);
        Assert.True(lined.Remove(40));
        Assert.False(lined.ContainsKey(40));
        Assert.Equal(99, lined.Count);
        lined.GetValueRefOrAdd(40, out added) = Wide72.Of(40);
        Assert.True(added);
        AssertHolds(lined, 100);
        lined.Clear();
        Assert.Equal(0, lined.Count);
        Assert.False(lined.ContainsKey(3));
        lined.GetValueRefOrAdd(3, out added) = Wide72.Of(3);
        Assert.True(added);
        Assert.True(lined.IsLined);
    }

    [Fact]
    public void GeneratedOperator_LinedFold_MatchesHashedFold()
    {
        // The same orders folded by the generated operator twice: dense product ids (a lined direct table,
        // the fold loop's fast path) and the same ids moved far apart (a hashed table). Every row must agree.
        const int Products = 5_000;
        const long Sparse = 1L << 40;
        var random = new Random(1234);
        var dense = new Order[200_000];
        var sparse = new Order[dense.Length];
        for (var i = 0; i < dense.Length; i++)
        {
            dense[i] = new Order
            {
                OrderId = i,
                ProductId = random.Next(Products),
                PriceCents = random.Next(-50, 10_000),
                Quantity = random.Next(1, 5),
                TimestampMs = 1_000_000 + i * 10L - random.Next(0, 5_000),
            };
            sparse[i] = dense[i];
            sparse[i].ProductId = dense[i].ProductId * Sparse + 1;
        }
        var lined = new KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(64);
        var hashed = new KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(64);
        for (var i = 0; i < dense.Length; i += 4_096)
        {
            var n = Math.Min(4_096, dense.Length - i);
            lined.Apply(dense.AsSpan(i, n));
            hashed.Apply(sparse.AsSpan(i, n));
        }
        Assert.Equal(hashed.Count, lined.Count);
        for (long p = 0; p < Products; p++)
        {
            var has = lined.TryGet(p, out var row);
            Assert.Equal(hashed.TryGet(p * Sparse + 1, out var expected), has);
            if (!has) continue;
            expected.ProductId = p;
            Assert.Equal(expected, row);
        }
    }
}
