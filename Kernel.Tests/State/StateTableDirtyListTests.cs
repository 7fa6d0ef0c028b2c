using Kernel.State;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.State;

/// <summary>
/// The dirty-slot list: after any mix of writes, growth, removal and clears, the changed entries a
/// table reports must be exactly the keys written since the last MarkClean (a HashSet model), and a
/// MarkClean must leave none — whether the list holds them or the table fell back to the scan.
/// </summary>
public sealed class StateTableDirtyListTests
{
    [Theory]
    [InlineData(11, "mixed", false)]
    [InlineData(12, "mixed", true)]
    [InlineData(13, "colliding", true)]
    [InlineData(14, "direct", false)]
    [InlineData(15, "direct", true)]
    public void ChangedEntries_MatchTouchedKeys(int seed, string hasher, bool removals)
    {
        switch (hasher)
        {
            case "mixed": Run(new StateTable<long, long, MixedLongHasher>("Tests.Dirty", 1, 4), seed, removals, 20_000); break;
            case "colliding": Run(new StateTable<long, long, CollidingLongHasher>("Tests.Dirty", 1, 4), seed, removals, 400); break;
            default: Run(new StateTable<long, long, DirectLongHasher>("Tests.Dirty", 1, 4), seed, removals, 3_000); break;
        }
    }

    private static void Run<THasher>(StateTable<long, long, THasher> table, int seed, bool removals, int keySpace)
        where THasher : struct, IKeyHasher<long>
    {
        var rng = new Random(seed);
        var values = new Dictionary<long, long>();
        var touched = new HashSet<long>();
        for (var round = 0; round < 40; round++)
        {
            // Rounds of very different sizes: a few keys (the list holds them), many (growth, overflow).
            var ops = rng.Next(4) == 0 ? rng.Next(1, 20) : rng.Next(50, 6_000);
            for (var op = 0; op < ops; op++)
            {
                var key = rng.Next(keySpace);
                if (removals && rng.Next(5) == 0)
                {
                    if (values.Remove(key)) touched.Remove(key);
                    table.Remove(key);
                }
                else
                {
                    var delta = rng.Next(1, 50);
                    values[key] = values.GetValueOrDefault(key) + delta;
                    touched.Add(key);
                    table.GetValueRefOrAdd(key, out _) += delta;
                }
            }
            var changed = new Dictionary<long, long>();
            foreach (ref var e in table.ChangedEntries)
                Assert.True(changed.TryAdd(e.Key, e.State), $"seed {seed}, round {round}: key {e.Key} enumerated twice (listed: {table.DirtyListed})");
            Assert.True(touched.SetEquals(changed.Keys), $"seed {seed}, round {round}: changed keys differ from the touched ones (listed: {table.DirtyListed}, {changed.Count} vs {touched.Count})");
            foreach (var (k, v) in changed) Assert.True(values[k] == v, $"seed {seed}, round {round}: value of {k}");
            Assert.True(touched.Count == table.ChangedCount, $"seed {seed}, round {round}: ChangedCount {table.ChangedCount} vs {touched.Count}");
            if (rng.Next(3) != 0)
            {
                table.MarkClean();
                touched.Clear();
                Assert.True(table.DirtyListed, $"seed {seed}, round {round}: MarkClean must empty the list");
                var any = false;
                foreach (ref var _ in table.ChangedEntries) any = true;
                Assert.False(any, $"seed {seed}, round {round}: entries still changed after MarkClean");
            }
        }
        Assert.Equal(values.OrderBy(p => p.Key), Entries(table).OrderBy(p => p.Key));
    }

    [Theory]
    [InlineData("mixed")]
    [InlineData("direct")]
    public void ClearForReuse_ForgetsTheDirtyList(string hasher)
    {
        // A pooled window table is emptied with ClearForReuse and filled again: its changes must be
        // exactly the keys written after the clear, never slots listed before it.
        if (hasher == "direct") ReuseRun(new StateTable<long, long, DirectLongHasher>("Tests.Dirty", 1, 256));
        else ReuseRun(new StateTable<long, long, MixedLongHasher>("Tests.Dirty", 1, 256));
    }

    private static void ReuseRun<THasher>(StateTable<long, long, THasher> table)
        where THasher : struct, IKeyHasher<long>
    {
        for (long k = 0; k < 100; k++) table.GetValueRefOrAdd(k, out _) = k;
        table.ClearForReuse();
        Assert.Equal(0, table.ChangedCount);
        long[] written = [3, 150, 7];
        foreach (var k in written) table.GetValueRefOrAdd(k, out _) = 10 * k;
        var changed = new List<KeyValuePair<long, long>>();
        foreach (ref var e in table.ChangedEntries) changed.Add(new(e.Key, e.State));
        Assert.Equal(written.Order().Select(k => new KeyValuePair<long, long>(k, 10 * k)), changed.OrderBy(p => p.Key));
        Assert.Equal(written.Length, table.ChangedCount);
    }

    private static List<KeyValuePair<long, long>> Entries<THasher>(StateTable<long, long, THasher> table)
        where THasher : struct, IKeyHasher<long>
    {
        var list = new List<KeyValuePair<long, long>>();
        foreach (ref var e in table) list.Add(new(e.Key, e.State));
        return list;
    }

    [Fact]
    public void FewDirtyOfMany_AreListed_AndGrowthKeepsThemListed()
    {
        var table = new StateTable<long, long, MixedLongHasher>("Tests.Dirty", 1, 16);
        for (long k = 0; k < 10_000; k++) table.GetValueRefOrAdd(k * 7919, out _) = k;
        table.MarkClean();
        for (long k = 0; k < 100; k++) table.GetValueRefOrAdd(k * 7919, out _)++;
        Assert.True(table.DirtyListed);
        Assert.Equal(100, table.ChangedCount);
        // Growth while dirty: the dirty entries move to new slots and the list is rebuilt.
        var slots = table.Slots;
        for (long k = 10_000; k < 30_000; k++) table.GetValueRefOrAdd(k * 7919, out _) = k;
        Assert.True(table.Slots > slots);
        var changed = new HashSet<long>();
        foreach (ref var e in table.ChangedEntries) changed.Add(e.Key);
        var expected = Enumerable.Range(0, 100).Concat(Enumerable.Range(10_000, 20_000)).Select(k => k * 7919L).ToHashSet();
        Assert.True(expected.SetEquals(changed));
    }

    [Fact]
    public void Overflow_FallsBackToScan_UntilMarkClean()
    {
        var table = new StateTable<long, long, MixedLongHasher>("Tests.Dirty", 1, 1_000);
        for (long k = 0; k < 1_000; k++) table.GetValueRefOrAdd(k, out _) = k;   // more dirty slots than a quarter of the slots
        Assert.False(table.DirtyListed);
        Assert.Equal(1_000, table.ChangedCount);
        table.MarkClean();
        Assert.True(table.DirtyListed);
        Assert.Equal(0, table.ChangedCount);
        table.GetValueRefOrAdd(5, out _)++;
        Assert.True(table.DirtyListed);
        Assert.Equal(1, table.ChangedCount);
    }

    [Fact]
    public void RemovingADirtyEntry_FallsBackToScan_AndStaysExact()
    {
        var table = new StateTable<long, long, CollidingLongHasher>("Tests.Dirty", 1, 256);
        for (long k = 0; k < 64; k++) table.GetValueRefOrAdd(k, out _) = k;
        table.MarkClean();
        table.GetValueRefOrAdd(3, out _)++;
        table.GetValueRefOrAdd(19, out _)++;   // same home as 3 (colliding hash): removing 3 shifts 19 back
        table.Remove(3);
        Assert.False(table.DirtyListed);
        var changed = new List<long>();
        foreach (ref var e in table.ChangedEntries) changed.Add(e.Key);
        Assert.Equal([19L], changed);
        Assert.Equal(1, table.RemovedCount);
        // The Changes snapshot carries both: applied to the state before, it removes 3 and updates 19.
        var before = new StateTable<long, long, CollidingLongHasher>("Tests.Dirty", 1, 256);
        for (long k = 0; k < 64; k++) before.GetValueRefOrAdd(k, out _) = k;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        table.WriteSnapshot(buffer, SnapshotScope.Changes);
        before.Restore(buffer.WrittenSpan);
        Assert.False(before.ContainsKey(3));
        Assert.True(before.TryGetValue(19, out var v) && v == 20);
        Assert.True(table.DirtyListed);
    }

    [Fact]
    public void EnumeratorMarkDirty_ListsAnEntryChangedInPlace()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Dirty", 1, 64);
        for (long k = 0; k < 50; k++) table.GetValueRefOrAdd(k, out _) = k;
        table.MarkClean();
        var en = table.GetEnumerator();
        while (en.MoveNext())
        {
            if (en.Current.Key % 10 != 0) continue;
            en.Current.State = -1;
            en.MarkDirty();
        }
        var changed = new List<long>();
        foreach (ref var e in table.ChangedEntries) changed.Add(e.Key);
        Assert.Equal([0L, 10, 20, 30, 40], changed.Order());
    }

    [Fact]
    public void HotPath_StaysAllocationFree_WithTheList()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Dirty", 1, 20_000);
        for (long k = 0; k < 10_000; k++) table.GetValueRefOrAdd(k, out _) = 1;
        var hashed = new StateTable<long, long, MixedLongHasher>("Tests.Dirty", 1, 20_000);
        for (long k = 0; k < 10_000; k++) hashed.GetValueRefOrAdd(k * 31, out _) = 1;
        var bytes = Allocations.SteadyState(() =>
        {
            table.MarkClean();
            hashed.MarkClean();
            for (long k = 0; k < 10_000; k += 3)
            {
                table.GetValueRefOrAdd(k, out _)++;
                hashed.GetValueRefOrAdd(k * 31, out _)++;
            }
            foreach (ref var e in table.ChangedEntries) e.State++;
        });
        Assert.Equal(0, bytes);
    }
}
