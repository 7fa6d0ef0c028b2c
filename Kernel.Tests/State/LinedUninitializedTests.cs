using System.Buffers;
using Kernel.State;

namespace Kernel.Tests.State;

/// <summary>
/// Lined direct arrays are allocated uninitialized (<c>LinedEntries.Allocate</c>): reused memory may hold old
/// bytes, and nothing may read an empty slot's entry. These tests fill every new lined array with a stale
/// pattern first, then check that every reader still sees exactly the keys put in.
/// </summary>
public sealed class LinedUninitializedTests
{
    public LinedUninitializedTests() => LinedEntries.FillNewArraysForTests = true;

    [Fact]
    public void NewArrays_HoldTheStalePattern_WhenAsked()
    {
        var data = LinedEntries.Allocate<StateEntry<long, long>>(16, 8, out _);
        Assert.All(data, word => Assert.Equal(LinedEntries.StaleFill, word));
    }

    [Fact]
    public void SparseKeys_OverStaleBytes_ReadBackExactly_ThroughGrowthEnumerationAndSnapshot()
    {
        // Every third key in 0..2,999: two empty slots between occupied ones, and growths from 16 slots up.
        var table = new StateTable<long, Wide72, HotPrefixHasher>("Tests.Lined", 7, 16);
        var expected = new Dictionary<long, Wide72>();
        for (long k = 0; k < 3_000; k += 3)
        {
            ref var s = ref table.GetValueRefOrAdd(k, out var added);
            Assert.True(added, $"key {k}");
            Assert.Equal(default, s);   // an add hands out a zeroed state, not the slot's old bytes
            s = Wide72.Of(k);
            expected[k] = s;
        }
        Assert.True(table.IsLined);
        AssertExactly(table, expected);

        var full = new ArrayBufferWriter<byte>();
        table.WriteSnapshot(full, SnapshotScope.Full);
        var restored = new StateTable<long, Wide72, HotPrefixHasher>("Tests.Lined", 7, 16);
        restored.Restore(full.WrittenSpan);
        Assert.True(restored.IsLined);
        AssertExactly(restored, expected);

        // Keys put into the gaps afterwards start from zeroed states too.
        ref var gap = ref table.GetValueRefOrAdd(1, out var gapAdded);
        Assert.True(gapAdded);
        Assert.Equal(default, gap);
    }

    [Fact]
    public void GeneratedOperator_OverStaleBytes_MatchesHashedFold() =>
        new StateTableLinedTests().GeneratedOperator_LinedFold_MatchesHashedFold();

    private static void AssertExactly(StateTable<long, Wide72, HotPrefixHasher> table, Dictionary<long, Wide72> expected)
    {
        Assert.Equal(expected.Count, table.Count);
        var seen = 0;
        foreach (ref var e in table)
        {
            Assert.True(expected.TryGetValue(e.Key, out var state), $"enumerated key {e.Key} was never added");
            Assert.Equal(state, e.State);
            seen++;
        }
        Assert.Equal(expected.Count, seen);
        for (long k = 0; k < 3_000; k++)
            Assert.Equal(expected.ContainsKey(k), table.ContainsKey(k));
    }
}
