using System.Buffers;
using System.Runtime.CompilerServices;
using Kernel.State;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.State;

public sealed class StateTableTests
{
    private static StateTable<long, long, MixedLongHasher> NewTable(int capacity = 16) => new("Tests.Table", 0xF00DUL, capacity);

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    public void RandomOperations_MatchDictionary(int seed, bool colliding)
    {
        var rng = new Random(seed);
        var oracle = new Dictionary<long, long>();
        var mixed = new StateTable<long, long, MixedLongHasher>("Tests.Table", 1, 4);
        var bad = new StateTable<long, long, CollidingLongHasher>("Tests.Table", 1, 4);
        var keySpace = colliding ? 300 : 5_000;
        for (var op = 0; op < 40_000; op++)
        {
            var key = rng.Next(keySpace) - keySpace / 4;   // negative keys too
            if (rng.Next(4) == 0)
            {
                var expected = oracle.Remove(key);
                Assert.True(expected == (colliding ? bad.Remove(key) : mixed.Remove(key)), $"seed {seed}, op {op}: Remove({key})");
            }
            else
            {
                var delta = rng.Next(1, 100);
                oracle[key] = oracle.GetValueOrDefault(key) + delta;
                if (colliding) bad.GetValueRefOrAdd(key, out _) += delta;
                else mixed.GetValueRefOrAdd(key, out _) += delta;
            }
        }
        Assert.True(oracle.Count == (colliding ? bad.Count : mixed.Count), $"seed {seed}: count");
        for (var key = -keySpace; key < keySpace; key++)
        {
            var present = oracle.TryGetValue(key, out var expected);
            long actual;
            var found = colliding ? bad.TryGetValue(key, out actual) : mixed.TryGetValue(key, out actual);
            Assert.True(present == found, $"seed {seed}: presence of {key}");
            Assert.True(expected == actual, $"seed {seed}: value of {key}: {expected} vs {actual}");
        }
        var seen = new Dictionary<long, long>();
        if (colliding) foreach (ref var e in bad) seen.Add(e.Key, e.State);
        else foreach (ref var e in mixed) seen.Add(e.Key, e.State);
        Assert.Equal(oracle.OrderBy(p => p.Key), seen.OrderBy(p => p.Key));
    }

    [Fact]
    public void GetValueRefOrAdd_ReportsAddOnceAndZeroesState()
    {
        var table = NewTable();
        ref var s = ref table.GetValueRefOrAdd(7, out var added);
        Assert.True(added);
        Assert.Equal(0, s);
        s = 42;
        Assert.Equal(42, table.GetValueRefOrAdd(7, out added));
        Assert.False(added);
        Assert.True(table.Remove(7));
        Assert.Equal(0, table.GetValueRefOrAdd(7, out added));
        Assert.True(added);
    }

    [Fact]
    public void Growth_KeepsEveryEntry_AndStaysPowerOfTwo()
    {
        var table = NewTable(0);
        Assert.Equal(16, table.Slots);
        Assert.Equal(12, table.Capacity);
        for (long k = 0; k < 100_000; k++) table.GetValueRefOrAdd(k * 7919, out _) = k;
        Assert.Equal(100_000, table.Count);
        Assert.True(BitOperationsIsPow2(table.Slots), $"slots {table.Slots}");
        Assert.True(table.Count <= table.Slots * 3 / 4, $"load {table.Count}/{table.Slots}");
        for (long k = 0; k < 100_000; k++)
        {
            Assert.True(table.TryGetValue(k * 7919, out var v));
            Assert.Equal(k, v);
        }
        Assert.False(table.ContainsKey(1));
    }

    private static bool BitOperationsIsPow2(int x) => x > 0 && (x & (x - 1)) == 0;

    [Fact]
    public void FullSnapshot_RoundTrips()
    {
        var table = NewTable();
        for (long k = -500; k < 500; k++) table.GetValueRefOrAdd(k, out _) = k * k;
        var buffer = new ArrayBufferWriter<byte>();
        var written = table.WriteSnapshot(buffer, SnapshotScope.Full);
        Assert.Equal(buffer.WrittenCount, written);
        Assert.Equal(0, table.ChangedCount);

        var copy = NewTable();
        copy.GetValueRefOrAdd(123456, out _) = 1;   // replaced by a Full restore
        copy.Restore(buffer.WrittenSpan);
        Assert.Equal(1000, copy.Count);
        Assert.False(copy.ContainsKey(123456));
        for (long k = -500; k < 500; k++)
        {
            Assert.True(copy.TryGetValue(k, out var v));
            Assert.Equal(k * k, v);
        }
        Assert.Equal(0, copy.ChangedCount);
    }

    [Fact]
    public void ChangesSnapshot_AppliedOnBase_ReproducesCurrentState()
    {
        var table = NewTable();
        for (long k = 0; k < 1000; k++) table.GetValueRefOrAdd(k, out _) = k;
        var baseSnap = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(baseSnap, SnapshotScope.Full);

        table.GetValueRefOrAdd(5, out _) += 100;       // changed
        table.GetValueRefOrAdd(5000, out _) = 9;       // added
        table.Remove(7);                               // removed
        table.Remove(8);
        table.GetValueRefOrAdd(8, out _) = -8;         // removed then re-added
        Assert.Equal(3, table.ChangedCount);
        Assert.Equal(2, table.RemovedCount);
        var changed = new List<long>();
        foreach (ref var e in table.ChangedEntries) changed.Add(e.Key);
        Assert.Equal(new long[] { 5, 8, 5000 }, changed.Order());

        var delta = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(delta, SnapshotScope.Changes);
        Assert.True(delta.WrittenCount < baseSnap.WrittenCount / 10, $"delta {delta.WrittenCount} vs full {baseSnap.WrittenCount}");

        var copy = NewTable();
        copy.Restore(baseSnap.WrittenSpan);
        copy.Restore(delta.WrittenSpan);
        AssertSame(table, copy);
    }

    [Fact]
    public void ChangesSnapshot_AfterClear_StartsFromEmpty()
    {
        var table = NewTable();
        for (long k = 0; k < 100; k++) table.GetValueRefOrAdd(k, out _) = k;
        var baseSnap = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(baseSnap, SnapshotScope.Full);
        table.Clear();
        table.GetValueRefOrAdd(1000, out _) = 1;
        var delta = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(delta, SnapshotScope.Changes);

        var copy = NewTable();
        copy.Restore(baseSnap.WrittenSpan);
        copy.Restore(delta.WrittenSpan);
        AssertSame(table, copy);
        Assert.Equal(1, copy.Count);
    }

    [Fact]
    public void Restore_WithOtherFingerprint_FailsNamingTheAggregation()
    {
        var writer = new StateTable<long, long, MixedLongHasher>("Shop.DailyRevenue", 0x1111UL);
        writer.GetValueRefOrAdd(1, out _) = 1;
        var buffer = new ArrayBufferWriter<byte>();
        writer.WriteSnapshot(buffer, SnapshotScope.Full);
        var reader = new StateTable<long, long, MixedLongHasher>("Shop.DailyRevenue", 0x2222UL);
        var ex = Assert.Throws<InvalidDataException>(() => reader.Restore(buffer.WrittenSpan));
        Assert.Contains("'Shop.DailyRevenue'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x0000000000001111", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0x0000000000002222", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, reader.Count);
    }

    [Fact]
    public void Restore_DamagedBytes_FailsWithOffset()
    {
        var table = NewTable();
        table.GetValueRefOrAdd(1, out _) = 1;
        var buffer = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(buffer, SnapshotScope.Full);
        var bytes = buffer.WrittenSpan.ToArray();
        bytes[^6] ^= 0xFF;
        var ex = Assert.Throws<InvalidDataException>(() => NewTable().Restore(bytes));
        Assert.Contains($"offset {bytes.Length - 4}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CRC", ex.Message, StringComparison.Ordinal);

        bytes = buffer.WrittenSpan.ToArray();
        bytes[0] = (byte)'X';
        ex = Assert.Throws<InvalidDataException>(() => NewTable().Restore(bytes));
        Assert.Contains("offset 0", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => NewTable().Restore(bytes.AsSpan(0, 10)));
    }

    [Fact]
    public void SteadyStateLookups_AllocateNothing()
    {
        var table = NewTable(20_000);
        for (long k = 0; k < 10_000; k++) table.GetValueRefOrAdd(k, out _) = 0;
        var ok = false;
        var allocated = Allocations.SteadyState(() =>
        {
            for (var i = 0; i < 1_000_000; i++) table.GetValueRefOrAdd(i % 10_000, out _)++;
            ok = Unsafe.IsNullRef(ref table.GetValueRefOrNullRef(-1));
        });
        Assert.Equal(0, allocated);
        Assert.True(ok);
    }

    private static void AssertSame(StateTable<long, long, MixedLongHasher> expected, StateTable<long, long, MixedLongHasher> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (ref var e in expected)
        {
            Assert.True(actual.TryGetValue(e.Key, out var v), $"key {e.Key} missing");
            Assert.Equal(e.State, v);
        }
    }
}
