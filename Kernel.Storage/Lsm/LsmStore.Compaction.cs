using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Iteration;
using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Tables;
using Kernel.Storage.Lsm.Versions;

namespace Kernel.Storage.Lsm;

public sealed partial class LsmStore
{
    private long _compactionBytesRead;        // guarded by _state
    private long _compactionBytesWritten;     // guarded by _state
    private long _compactions;                // guarded by _state
    private long _trivialMoves;               // guarded by _state

    /// <summary>Tests: called on the compacting thread every 4,096 merged entries (a crash or a race inside a compaction).</summary>
    internal Action<int>? CompactionProgressHook { get; set; }

    /// <summary>Tests: called on the compacting thread after its outputs are written, before they are installed.</summary>
    internal Action? CompactionInstallingHook { get; set; }

    /// <summary>
    /// Flushes, then merges every table into the deepest level, dropping overwritten versions,
    /// tombstones and deleted ranges that no snapshot needs. Returns when done.
    /// </summary>
    public void CompactAll()
    {
        Flush();
        lock (_compactionGate)
        {
            Compaction c;
            lock (_state)
            {
                var v = _view;
                var inputs = v.Levels.SelectMany(l => l).ToArray();
                if (inputs.Length == 0) return;
                var deepest = 1;
                for (var l = 1; l < MaxLevels; l++) if (v.Levels[l].Length > 0) deepest = l;
                c = new Compaction(inputs, deepest, full: true);
            }
            RunCompactionGated(c);
        }
    }

    /// <summary>Picks the most urgent compaction (caller holds _state); null when every level is within its target.</summary>
    private Compaction? PickCompaction(StoreView v)
    {
        var bestLevel = MostUrgentLevel(v);
        if (bestLevel < 0) return null;
        if (bestLevel == 0)
        {
            var files = v.Levels[0];
            var smallest = files.Select(t => t.Properties.SmallestKey).Aggregate((a, b) => a.AsSpan().SequenceCompareTo(b) <= 0 ? a : b);
            var largest = files.Select(t => t.Properties.LargestKey).Aggregate((a, b) => a.AsSpan().SequenceCompareTo(b) >= 0 ? a : b);
            return new Compaction([.. files, .. Overlapping(v.Levels[1], smallest, largest)], 1, full: false);
        }
        var level = v.Levels[bestLevel];
        var cursor = _compactCursor[bestLevel];
        var pick = cursor is null ? level[0] : level.FirstOrDefault(t => t.Properties.SmallestKey.AsSpan().SequenceCompareTo(cursor) > 0) ?? level[0];
        _compactCursor[bestLevel] = pick.Properties.LargestKey;
        return new Compaction([pick, .. Overlapping(v.Levels[bestLevel + 1], pick.Properties.SmallestKey, pick.Properties.LargestKey)], bestLevel + 1, full: false);
    }

    /// <summary>The level most over its target (level 0: by table count), or -1 when none is; no side effects, any thread.</summary>
    private int MostUrgentLevel(StoreView v)
    {
        var bestScore = 1.0;
        var bestLevel = -1;
        var l0 = v.Level0Count / (double)_options.Level0CompactionTrigger;
        if (l0 >= bestScore) { bestScore = l0; bestLevel = 0; }
        var target = (double)_options.Level1Bytes;
        for (var l = 1; l < MaxLevels - 1; l++, target *= _options.LevelSizeMultiplier)
        {
            var score = v.LevelBytes(l) / target;
            if (score > bestScore) { bestScore = score; bestLevel = l; }
        }
        return bestLevel;
    }

    private static IEnumerable<TableReader> Overlapping(TableReader[] level, byte[] smallest, byte[] largest) =>
        level.Where(t => t.Properties.LargestKey.AsSpan().SequenceCompareTo(smallest) >= 0
                      && t.Properties.SmallestKey.AsSpan().SequenceCompareTo(largest) <= 0);

    private void RunCompaction(Compaction c)
    {
        lock (_compactionGate)
        {
            // The picked inputs may have been compacted by a manual compaction meanwhile.
            lock (_state)
            {
                var live = _view.Levels.SelectMany(l => l).ToHashSet();
                if (!c.Inputs.All(live.Contains)) return;
                if (TryTrivialMoveLocked(c)) return;
            }
            RunCompactionGated(c);
        }
    }

    /// <summary>
    /// A background compaction whose inputs do not overlap one another and take nothing from
    /// the output level (tables of keys written in order: sequential puts) moves them to the
    /// output level in the manifest, without reading or rewriting them (caller holds _compactionGate
    /// and _state). Nothing is dropped: versions and tombstones a merge would have removed stay
    /// until a later merge (or <see cref="CompactAll"/>, which always merges). Safe because the
    /// inputs hold no key in common with each other or with the output level, and every level
    /// below holds older versions only.
    /// </summary>
    private bool TryTrivialMoveLocked(Compaction c)
    {
        if (c.Full) return false;
        var cur = _view;
        var output = cur.Levels[c.OutputLevel];
        foreach (var t in c.Inputs) if (Array.IndexOf(output, t) >= 0) return false;
        var sorted = c.Inputs.ToArray();
        Array.Sort(sorted, CompareSmallest);
        for (var i = 1; i < sorted.Length; i++)
            if (sorted[i - 1].Properties.LargestKey.AsSpan().SequenceCompareTo(sorted[i].Properties.SmallestKey) >= 0) return false;
        // Overlapping() found no output-level table in the inputs' range when it picked them; tables
        // flushed or compacted since then went to level 0 or came out of this same gate, so check again.
        foreach (var t in sorted)
            if (Overlapping(output, t.Properties.SmallestKey, t.Properties.LargestKey).Any()) return false;
        var inputs = c.Inputs.ToHashSet();
        var levels = new TableReader[MaxLevels][];
        for (var l = 0; l < MaxLevels; l++)
        {
            var kept = cur.Levels[l].Where(t => !inputs.Contains(t));
            if (l == c.OutputLevel)
            {
                var list = kept.Concat(sorted).ToList();
                list.Sort(CompareSmallest);
                levels[l] = list.ToArray();
            }
            else levels[l] = kept.ToArray();
        }
        var walNumber = cur.Immutables.Length > 0 ? cur.Immutables[^1].WalNumber : cur.Active.WalNumber;
        WriteManifestLocked(levels, cur.Tombstones, walNumber);
        InstallLocked(new StoreView(cur.Active, cur.Immutables, levels, cur.Tombstones));
        _trivialMoves++;
        return true;
    }

    /// <summary>Merges the inputs into new tables and installs them (caller holds _compactionGate).</summary>
    private void RunCompactionGated(Compaction c)
    {
        StoreView view;
        ulong smallestSnapshot;
        lock (_state)
        {
            view = AcquireView();
            smallestSnapshot = SmallestSnapshotLocked();
        }
        var outputs = new List<TableReader>();
        try
        {
            using var merged = new MergingIterator(c.Inputs.Select(t => (InternalIterator)t.NewIterator(fillCache: false)).ToArray());
            if (!MergeInto(c, view, merged, smallestSnapshot, outputs))
            {
                // The store is closing: the outputs are named by no manifest; delete them once released.
                foreach (var t in outputs) t.MarkObsolete();
                return;
            }
            CompactionInstallingHook?.Invoke();
            lock (_state)
            {
                var cur = _view;
                var inputs = c.Inputs.ToHashSet();
                var levels = new TableReader[MaxLevels][];
                for (var l = 0; l < MaxLevels; l++)
                {
                    var kept = cur.Levels[l].Where(t => !inputs.Contains(t));
                    if (l == c.OutputLevel)
                    {
                        var list = kept.Concat(outputs).ToList();
                        list.Sort(CompareSmallest);
                        levels[l] = list.ToArray();
                    }
                    else levels[l] = kept.ToArray();
                }
                var tombstones = cur.Tombstones.Where(t => StillNeeded(t, levels)).ToArray();
                var walNumber = cur.Immutables.Length > 0 ? cur.Immutables[^1].WalNumber : cur.Active.WalNumber;
                WriteManifestLocked(levels, tombstones, walNumber);
                foreach (var t in c.Inputs) t.MarkObsolete();
                InstallLocked(new StoreView(cur.Active, cur.Immutables, levels, tombstones));
                _compactions++;
                _compactionBytesRead += c.Inputs.Sum(t => t.Properties.FileBytes);
                _compactionBytesWritten += outputs.Sum(t => t.Properties.FileBytes);
            }
        }
        finally
        {
            foreach (var t in outputs) t.Release();   // the new view holds them (or, on failure, they are deleted below)
            view.Release();
        }
    }

    /// <summary>
    /// Writes the merged inputs to new tables in <paramref name="outputs"/>; false when an automatic
    /// compaction gave up because the store is closing (checked every 4,096 entries, so a close
    /// does not wait for a compaction of a whole level).
    /// </summary>
    private bool MergeInto(Compaction c, StoreView view, MergingIterator merged, ulong smallestSnapshot, List<TableReader> outputs)
    {
        TableWriter? writer = null;
        ulong number = 0;
        var lastKey = new byte[64];
        var lastKeyLength = -1;
        var lastSeqForKey = ulong.MaxValue;
        var tombstones = view.Tombstones;
        try
        {
            var visited = 0;
            for (merged.SeekToFirst(); merged.Valid; merged.Next())
            {
                if ((++visited & 4095) == 0)
                {
                    if (!c.Full && _closing)
                    {
                        if (writer is not null)
                        {
                            writer.Dispose();
                            writer = null;
                            File.Delete(FileNames.Table(_dir, number));
                        }
                        return false;
                    }
                    CompactionProgressHook?.Invoke(visited);
                }
                var key = merged.Key;
                var userKey = InternalKey.UserKey(key);
                var trailer = InternalKey.TrailerOf(key);
                var seq = trailer >> 8;
                if (lastKeyLength < 0 || !userKey.SequenceEqual(lastKey.AsSpan(0, lastKeyLength)))
                {
                    if (lastKey.Length < userKey.Length) lastKey = new byte[userKey.Length * 2];
                    userKey.CopyTo(lastKey);
                    lastKeyLength = userKey.Length;
                    lastSeqForKey = ulong.MaxValue;
                    if (writer is not null && writer.EstimatedBytes >= _options.TargetFileBytes)
                    {
                        outputs.Add(FinishOutput(writer, number));
                        writer = null;
                    }
                }
                bool drop;
                if (lastSeqForKey <= smallestSnapshot) drop = true;                 // a newer version every reader sees hides it
                else if ((EntryKind)(byte)trailer == EntryKind.Delete && seq <= smallestSnapshot
                         && (c.Full || IsBaseLevelForKey(view, c.OutputLevel, userKey))) drop = true;   // nothing older below
                else drop = tombstones.Length > 0 && RangeTombstone.MaxCovering(tombstones, userKey, smallestSnapshot) > seq;
                lastSeqForKey = seq;
                if (drop) continue;
                if (writer is null)
                {
                    lock (_state) number = _nextFileNumber++;
                    writer = new TableWriter(FileNames.Table(_dir, number), number, _options);
                }
                writer.Add(key, merged.Value);
            }
            if (writer is not null && writer.EntryCount > 0) outputs.Add(FinishOutput(writer, number));
        }
        catch
        {
            writer?.Dispose();
            foreach (var t in outputs) t.MarkObsolete();
            throw;
        }
        writer?.Dispose();
        return true;
    }

    private TableReader FinishOutput(TableWriter writer, ulong number)
    {
        var props = writer.Finish();
        writer.Dispose();
        return TableReader.OpenWritten(FileNames.Table(_dir, number), props, _cache);
    }

    private static bool IsBaseLevelForKey(StoreView v, int outputLevel, ReadOnlySpan<byte> userKey)
    {
        for (var l = outputLevel + 1; l < MaxLevels; l++)
        {
            foreach (var t in v.Levels[l])
            {
                if (userKey.SequenceCompareTo(t.Properties.SmallestKey) >= 0 && userKey.SequenceCompareTo(t.Properties.LargestKey) <= 0)
                    return false;
            }
        }
        return true;
    }

    /// <summary>A range tombstone is needed while some table in its range may hold an older entry.</summary>
    private static bool StillNeeded(RangeTombstone t, TableReader[][] levels)
    {
        foreach (var level in levels)
            foreach (var table in level)
            {
                var p = table.Properties;
                if (p.MinSequence < t.Sequence && t.Overlaps(p.SmallestKey, p.LargestKey)) return true;
            }
        return false;
    }
}
