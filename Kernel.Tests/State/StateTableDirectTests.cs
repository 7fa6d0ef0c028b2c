using System.Buffers;
using Kernel.State;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.State;

/// <summary>Direct mode: integer keys stored in the slot of their value while dense, hashing otherwise.</summary>
public sealed class StateTableDirectTests
{
    [Fact]
    public void DenseKeys_StayDirect_KeyIsItsSlot()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Direct", 1, 10_000);
        for (long k = 0; k < 10_000; k++) table.GetValueRefOrAdd(k, out _) = k * 3;
        Assert.True(table.IsDirect);
        Assert.Equal(16_384, table.Slots);
        Assert.Equal(10_000, table.Count);
        var i = 0L;
        foreach (ref var e in table)
        {
            // Enumeration walks the slots in order, so in direct mode it meets the keys in order.
            Assert.Equal(i, e.Key);
            Assert.Equal(i * 3, e.State);
            i++;
        }
        Assert.Equal(10_000, i);
    }

    [Fact]
    public void TestHashers_WithoutDirectIndex_NeverGoDirect()
    {
        var table = new StateTable<long, long, CollidingLongHasher>("Tests.Direct", 1, 100);
        for (long k = 0; k < 50; k++) table.GetValueRefOrAdd(k, out _)++;
        Assert.False(table.IsDirect);
    }

    [Fact]
    public void SparseKey_LeavesDirectMode_KeepingEveryEntry()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Direct", 1, 100);
        for (long k = 0; k < 100; k++) table.GetValueRefOrAdd(k, out _) = k + 1;
        Assert.True(table.IsDirect);
        table.GetValueRefOrAdd(5_000_000_000L, out var added) = -1;
        Assert.True(added);
        Assert.False(table.IsDirect);
        Assert.Equal(101, table.Count);
        for (long k = 0; k < 100; k++)
        {
            Assert.True(table.TryGetValue(k, out var v), $"key {k}");
            Assert.Equal(k + 1, v);
        }
        Assert.True(table.TryGetValue(5_000_000_000L, out var big));
        Assert.Equal(-1, big);
    }

    [Fact]
    public void NegativeKey_LeavesDirectMode()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Direct", 1, 16);
        table.GetValueRefOrAdd(3, out _) = 30;
        table.GetValueRefOrAdd(-3, out _) = -30;
        Assert.False(table.IsDirect);
        Assert.True(table.TryGetValue(3, out var a));
        Assert.Equal(30, a);
        Assert.True(table.TryGetValue(-3, out var b));
        Assert.Equal(-30, b);
        Assert.False(table.ContainsKey(-4));
    }

    [Fact]
    public void DenseKeysBeyondTheSlots_GrowTheDirectTable()
    {
        var table = new StateTable<int, long, DirectIntHasher>("Tests.Direct", 1, 12);
        for (var k = 0; k < 5_000; k++) table.GetValueRefOrAdd(k, out _) = k;
        Assert.True(table.IsDirect);
        Assert.Equal(8_192, table.Slots);
        Assert.Equal(5_000, table.Count);
    }

    [Fact]
    public void HashedTable_GoesDirect_WhenItGrowsOverDenseKeys()
    {
        // The first key is far past 1,024 slots for one key: hashed. Once enough keys are held,
        // growth finds them dense and switches to direct.
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Direct", 1, 12);
        var rng = new Random(7);
        var keys = Enumerable.Range(0, 20_000).Select(k => (long)k).OrderBy(_ => rng.Next()).ToArray();
        table.GetValueRefOrAdd(keys[0] | 4_096, out _) = 1;   // make sure the first key is out of the direct range
        Assert.False(table.IsDirect);
        table.Remove(keys[0] | 4_096);
        foreach (var k in keys) table.GetValueRefOrAdd(k, out _) += k;
        Assert.True(table.IsDirect, $"slots {table.Slots}, count {table.Count}");
        foreach (var k in keys)
        {
            Assert.True(table.TryGetValue(k, out var v), $"key {k}");
            Assert.Equal(k, v);
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void RandomOperations_OverMixedKeySpaces_MatchDictionary(int seed)
    {
        // Dense phases, then sparse and negative keys, removals throughout: every mode change is crossed.
        var rng = new Random(seed);
        var oracle = new Dictionary<long, long>();
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Direct", 1, 4);
        for (var op = 0; op < 60_000; op++)
        {
            long key = op < 30_000 ? rng.Next(3_000) : rng.Next(4) switch
            {
                0 => rng.Next(3_000),
                1 => -rng.Next(1, 100),
                2 => rng.NextInt64(1L << 40),
                _ => rng.Next(20_000),
            };
            if (rng.Next(4) == 0)
            {
                Assert.True(oracle.Remove(key) == table.Remove(key), $"seed {seed}, op {op}: Remove({key})");
            }
            else
            {
                var delta = rng.Next(1, 100);
                oracle[key] = oracle.GetValueOrDefault(key) + delta;
                table.GetValueRefOrAdd(key, out _) += delta;
            }
            if (op == 29_999) Assert.True(table.IsDirect, $"seed {seed}: dense phase should be direct");
        }
        Assert.Equal(oracle.Count, table.Count);
        foreach (var (key, expected) in oracle)
        {
            Assert.True(table.TryGetValue(key, out var actual), $"seed {seed}: key {key} missing");
            Assert.True(expected == actual, $"seed {seed}: value of {key}: {expected} vs {actual}");
        }
        var seen = new Dictionary<long, long>();
        foreach (ref var e in table) seen.Add(e.Key, e.State);
        Assert.Equal(oracle.OrderBy(p => p.Key), seen.OrderBy(p => p.Key));
    }

    [Fact]
    public void Removal_InDirectMode_LeavesNeighboursFindable()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Direct", 1, 64);
        for (long k = 0; k < 40; k++) table.GetValueRefOrAdd(k, out _) = k;
        Assert.True(table.Remove(20));
        Assert.False(table.Remove(20));
        Assert.False(table.ContainsKey(20));
        Assert.True(table.ContainsKey(19));
        Assert.True(table.ContainsKey(21));
        Assert.Equal(39, table.Count);
        table.GetValueRefOrAdd(20, out var added);
        Assert.True(added);
    }

    [Fact]
    public void Snapshot_FromDirectTable_RestoresIntoHashedTable()
    {
        var direct = new StateTable<long, long, DirectLongHasher>("Tests.Direct", 9, 256);
        for (long k = 0; k < 200; k++) direct.GetValueRefOrAdd(k, out _) = k * k;
        Assert.True(direct.IsDirect);
        var buffer = new ArrayBufferWriter<byte>();
        direct.WriteSnapshot(buffer, SnapshotScope.Full);

        var hashed = new StateTable<long, long, MixedLongHasher>("Tests.Direct", 9, 4);
        hashed.Restore(buffer.WrittenSpan);
        Assert.Equal(200, hashed.Count);
        for (long k = 0; k < 200; k++)
        {
            Assert.True(hashed.TryGetValue(k, out var v));
            Assert.Equal(k * k, v);
        }
    }

    [Fact]
    public void DirectLookups_AllocateNothing()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Direct", 1, 1_000);
        for (long k = 0; k < 1_000; k++) table.GetValueRefOrAdd(k, out _) = 1;
        var allocated = Allocations.SteadyState(() =>
        {
            for (var i = 0; i < 100_000; i++) table.GetValueRefOrAdd(i % 1_000, out _)++;
        });
        Assert.Equal(0, allocated);
    }
}
