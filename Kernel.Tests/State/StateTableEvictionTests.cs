using Kernel.State;

namespace Kernel.Tests.State;

/// <summary>
/// The table operations behind spilling: <c>EvictClean</c> drops exactly the entries written before the
/// last MarkClean and not since (a Dictionary model of memory and a HashSet of touched keys decide which),
/// keeps the dirty ones with their values and still dirty, records no removal; <c>TryAddClean</c> brings an
/// entry back without making it a change. Checked over random rounds for hashed, colliding and direct tables.
/// </summary>
public sealed class StateTableEvictionTests
{
    [Theory]
    [InlineData(1, "mixed")]
    [InlineData(2, "colliding")]
    [InlineData(3, "direct")]
    [InlineData(4, "mixed")]
    public void EvictClean_DropsCleanKeepsDirty_AndAddCleanRestoresWithoutAChange(int seed, string hasher)
    {
        switch (hasher)
        {
            case "mixed": Run(new StateTable<long, long, MixedLongHasher>("Tests.Evict", 1, 8), seed, 20_000); break;
            case "colliding": Run(new StateTable<long, long, CollidingLongHasher>("Tests.Evict", 1, 8), seed, 300); break;
            default: Run(new StateTable<long, long, DirectLongHasher>("Tests.Evict", 1, 8), seed, 3_000); break;
        }
    }

    private static void Run<THasher>(StateTable<long, long, THasher> table, int seed, int keySpace)
        where THasher : struct, IKeyHasher<long>
    {
        var rng = new Random(seed);
        var memory = new Dictionary<long, long>();   // what the table must hold
        var store = new Dictionary<long, long>();    // what "the last snapshot wrote" (every key, at MarkClean)
        var touched = new HashSet<long>();
        for (var round = 0; round < 30; round++)
        {
            var ops = rng.Next(3) == 0 ? rng.Next(1, 30) : rng.Next(100, 4_000);
            for (var i = 0; i < ops; i++)
            {
                var key = (long)rng.Next(keySpace);
                if (!memory.ContainsKey(key) && store.TryGetValue(key, out var stored) && rng.Next(2) == 0)
                {
                    // A spilled key comes back unchanged (a read), then maybe gets written.
                    Assert.True(table.TryAddClean(key, stored), $"seed {seed}: key {key} was held");
                    memory[key] = stored;
                    Assert.False(table.TryAddClean(key, stored + 1), $"seed {seed}: key {key} added twice");
                    if (rng.Next(2) == 0) continue;
                }
                // A key not in memory starts fresh (the operator reads the store first; the table does not).
                table.GetValueRefOrAdd(key, out _) += key + 1;
                memory[key] = memory.GetValueOrDefault(key) + key + 1;
                touched.Add(key);
            }
            var changed = new HashSet<long>();
            foreach (ref var entry in table.ChangedEntries) changed.Add(entry.Key);
            Assert.True(touched.SetEquals(changed), $"seed {seed}, round {round}: changed entries differ from the touched keys");

            if (rng.Next(2) == 0)
            {
                // A snapshot: everything in memory is written, the table is clean.
                foreach (var (k, v) in memory) store[k] = v;
                table.MarkClean();
                touched.Clear();
            }
            // Spill: every clean entry leaves memory.
            var clean = memory.Keys.Where(k => !touched.Contains(k)).ToList();
            Assert.Equal(clean.Count, table.EvictClean());
            foreach (var k in clean) memory.Remove(k);
            Assert.Equal(memory.Count, table.Count);
            Assert.Equal(0, table.RemovedCount);
            Assert.False(table.ClearedSinceClean);
            foreach (var (k, v) in memory)
            {
                Assert.True(table.TryGetValue(k, out var held), $"seed {seed}, round {round}: dirty key {k} was dropped");
                Assert.Equal(v, held);
            }
            Assert.Equal(touched.Count, table.ChangedCount);
        }
    }

    [Fact]
    public void EvictClean_OfATableClearedSinceItsSnapshot_Refuses()
    {
        var table = new StateTable<long, long, MixedLongHasher>("Tests.Evict", 1, 8);
        table.GetValueRefOrAdd(1, out _) = 5;
        table.MarkClean();
        table.Clear();
        table.GetValueRefOrAdd(2, out _) = 6;
        var e = Assert.Throws<InvalidOperationException>(() => table.EvictClean());
        Assert.Contains("Tests.Evict", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EvictClean_GivesBackTheMemoryOfAGrownTable()
    {
        var table = new StateTable<long, long, MixedLongHasher>("Tests.Evict", 1, 8);
        for (long k = 0; k < 100_000; k++) table.GetValueRefOrAdd(k, out _) = k;
        table.MarkClean();
        table.GetValueRefOrAdd(7, out _) = 70;
        var grown = table.Slots;
        Assert.Equal(99_999, table.EvictClean());
        Assert.True(table.Slots < grown / 1000, $"{table.Slots} slots after eviction, {grown} before");
        Assert.True(table.TryGetValue(7, out var v) && v == 70);
    }
}
