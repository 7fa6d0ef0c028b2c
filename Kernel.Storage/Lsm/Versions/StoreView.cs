using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Tables;

namespace Kernel.Storage.Lsm.Versions;

/// <summary>
/// An immutable picture of everything a read must look at: the active memtable, the immutable
/// memtables waiting for flush (newest first), the tables of each level (level 0 newest first,
/// deeper levels sorted by key, not overlapping) and the flushed range tombstones. A new view
/// replaces the store's current one on every memtable switch, flush and compaction.
/// Lifetime: counted references; the store holds one for the current view, every read holds
/// one while it runs. The last release releases the tables (which may delete obsolete files).
/// </summary>
internal sealed class StoreView
{
    private int _references = 1;   // Interlocked; 0 means released for good

    public StoreView(Memtable active, Memtable[] immutables, TableReader[][] levels, RangeTombstone[] tombstones)
    {
        Active = active;
        Immutables = immutables;
        Levels = levels;
        Tombstones = tombstones;
        SmallestPrefixes = new ulong[levels.Length][];
        LargestPrefixes = new ulong[levels.Length][];
        for (var l = 0; l < levels.Length; l++)
        {
            SmallestPrefixes[l] = new ulong[levels[l].Length];
            LargestPrefixes[l] = new ulong[levels[l].Length];
            for (var i = 0; i < levels[l].Length; i++)
            {
                SmallestPrefixes[l][i] = CachedBlock.Prefix(levels[l][i].Properties.SmallestKey);
                LargestPrefixes[l][i] = CachedBlock.Prefix(levels[l][i].Properties.LargestKey);
            }
        }
        foreach (var level in levels)
            foreach (var t in level) t.AddReference();
        HasAnyTombstone = tombstones.Length > 0 || active.Tombstones.Length > 0 || immutables.Any(m => m.Tombstones.Length > 0);
    }

    public Memtable Active { get; }
    public Memtable[] Immutables { get; }
    public TableReader[][] Levels { get; }
    public RangeTombstone[] Tombstones { get; }

    /// <summary>
    /// The first 8 bytes (big-endian) of each table's smallest and largest user key, by level:
    /// a point read finds its table in these arrays and compares whole keys only on a tie,
    /// instead of following table, properties and key objects at each step (quick suite lsm get-hit).
    /// </summary>
    public ulong[][] SmallestPrefixes { get; }

    /// <inheritdoc cref="SmallestPrefixes"/>
    public ulong[][] LargestPrefixes { get; }

    /// <summary>True when some range tombstone exists (the active memtable may gain one later: check it too).</summary>
    public bool HasAnyTombstone { get; }

    /// <summary>Takes a reference unless the view was already released (then the caller reloads the current view).</summary>
    public bool TryAcquire()
    {
        var n = Volatile.Read(ref _references);
        while (n > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, n + 1, n);
            if (seen == n) return true;
            n = seen;
        }
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        foreach (var level in Levels)
            foreach (var t in level) t.Release();
    }

    /// <summary>The newest range tombstone covering <paramref name="userKey"/> visible at <paramref name="snapshot"/>, or 0.</summary>
    public ulong MaxTombstone(ReadOnlySpan<byte> userKey, ulong snapshot)
    {
        var max = RangeTombstone.MaxCovering(Active.Tombstones, userKey, snapshot);
        if (!HasAnyTombstone) return max;
        foreach (var m in Immutables) max = Math.Max(max, RangeTombstone.MaxCovering(m.Tombstones, userKey, snapshot));
        return Math.Max(max, RangeTombstone.MaxCovering(Tombstones, userKey, snapshot));
    }

    public int Level0Count => Levels[0].Length;

    public long LevelBytes(int level)
    {
        long n = 0;
        foreach (var t in Levels[level]) n += t.Properties.FileBytes;
        return n;
    }
}
