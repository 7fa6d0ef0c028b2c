using System.Runtime.CompilerServices;
using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Iteration;
using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Tables;
using Kernel.Storage.Lsm.Versions;

namespace Kernel.Storage.Lsm;

public sealed partial class LsmStore
{
    private long _gets;           // racy counters: approximate under concurrent readers, exact with one
    private long _tableProbes;

    /// <summary>
    /// Finds the value of <paramref name="key"/> and returns a view of it without copying or
    /// allocating. The view stays valid and unchanged for as long as the caller holds it.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value) => TryGet(key, null, out value);

    /// <summary>As <see cref="TryGet(ReadOnlySpan{byte}, out ReadOnlySpan{byte})"/>, reading at <paramref name="snapshot"/> (null: now).</summary>
    public bool TryGet(ReadOnlySpan<byte> key, LsmSnapshot? snapshot, out ReadOnlySpan<byte> value)
    {
        // Optimistic: read the current view without pinning it (two interlocked operations saved
        // per read, quick suite lsm get-hit). Memtables and cached blocks are garbage-collected
        // arrays, safe without a pin; only a table closed by a finished compaction can fail, and
        // it fails with ObjectDisposedException from its file handle: then read again, pinned.
        var seq = snapshot?.Sequence ?? Volatile.Read(ref _lastSequence);
        try
        {
            return Lookup(Volatile.Read(ref _view), key, seq, copying: false, out value, out _, out _);
        }
        catch (ObjectDisposedException) when (!_disposed)
        {
            return TryGetPinned(key, seq, copying: false, out value, out _, out _);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetPinned(ReadOnlySpan<byte> key, ulong seq, bool copying, out ReadOnlySpan<byte> value, out byte[]? recyclable, out int generation)
    {
        var view = AcquireView();
        try
        {
            return Lookup(view, key, seq, copying, out value, out recyclable, out generation);
        }
        finally
        {
            view.Release();
        }
    }

    /// <summary>
    /// Copies the value of <paramref name="key"/> into <paramref name="destination"/>. Returns -1
    /// when the key is absent, otherwise the value's length; when that exceeds the destination,
    /// nothing is copied (call again with a larger buffer).
    /// </summary>
    /// <remarks>
    /// Allocates nothing, also when the store outgrows its block cache: a block read from disk
    /// for this call is cached in an array that an evicted block of the same kind left free.
    /// </remarks>
    public int Get(ReadOnlySpan<byte> key, Span<byte> destination, LsmSnapshot? snapshot = null)
    {
        var seq = snapshot?.Sequence ?? Volatile.Read(ref _lastSequence);
        while (true)
        {
            bool found;
            ReadOnlySpan<byte> value;
            byte[]? recyclable;
            int generation;
            try
            {
                found = Lookup(Volatile.Read(ref _view), key, seq, copying: true, out value, out recyclable, out generation);
            }
            catch (ObjectDisposedException) when (!_disposed)
            {
                found = TryGetPinned(key, seq, copying: true, out value, out recyclable, out generation);
            }
            var length = found ? value.Length : -1;
            if (found && length <= destination.Length) value.CopyTo(destination);
            // The value came from a recyclable cached block: keep the copy only if the block was not refilled meanwhile.
            if (recyclable is null || CachedBlock.Unchanged(recyclable, generation)) return length;
        }
    }

    /// <summary>The value of <paramref name="key"/> as a new array, or null (allocates; use the span overloads on hot paths).</summary>
    public byte[]? Get(ReadOnlySpan<byte> key, LsmSnapshot? snapshot = null) =>
        TryGet(key, snapshot, out var value) ? value.ToArray() : null;

    /// <summary>A cursor over every key, at <paramref name="snapshot"/> (null: now). Dispose it: it pins the tables it reads.</summary>
    public LsmIterator CreateIterator(LsmSnapshot? snapshot = null) => CreateIteratorCore(null, null, snapshot);

    /// <summary>A cursor over the keys in [<paramref name="lowerInclusive"/>, <paramref name="upperExclusive"/>).</summary>
    public LsmIterator CreateRangeIterator(ReadOnlySpan<byte> lowerInclusive, ReadOnlySpan<byte> upperExclusive, LsmSnapshot? snapshot = null) =>
        CreateIteratorCore(lowerInclusive.ToArray(), upperExclusive.ToArray(), snapshot);

    /// <summary>A cursor over every key that starts with <paramref name="prefix"/>.</summary>
    public LsmIterator CreatePrefixIterator(ReadOnlySpan<byte> prefix, LsmSnapshot? snapshot = null)
    {
        var upper = prefix.ToArray();
        var i = upper.Length - 1;
        while (i >= 0 && upper[i] == 0xFF) i--;
        if (i < 0) return CreateIteratorCore(prefix.ToArray(), null, snapshot);
        upper[i]++;
        return CreateIteratorCore(prefix.ToArray(), upper.AsSpan(0, i + 1).ToArray(), snapshot);
    }

    private LsmIterator CreateIteratorCore(byte[]? lower, byte[]? upper, LsmSnapshot? snapshot)
    {
        if (_disposed) LsmThrow.Disposed();
        var view = AcquireView();
        var seq = snapshot?.Sequence ?? Volatile.Read(ref _lastSequence);
        var children = new List<InternalIterator> { new MemtableIterator(view.Active) };
        foreach (var m in view.Immutables) children.Add(new MemtableIterator(m));
        foreach (var t in view.Levels[0]) children.Add(t.NewIterator());
        for (var l = 1; l < MaxLevels; l++)
            if (view.Levels[l].Length > 0) children.Add(new LevelIterator(view.Levels[l]));
        return new LsmIterator(view, new MergingIterator(children.ToArray()), seq, lower, upper);
    }

    private bool Lookup(StoreView view, ReadOnlySpan<byte> key, ulong snapshot, bool copying, out ReadOnlySpan<byte> value,
        out byte[]? recyclable, out int generation)
    {
        _gets++;
        if (!FindNewest(view, key, snapshot, copying, out var kind, out var seq, out value, out recyclable, out generation)) return false;
        if (kind != EntryKind.Value) return false;
        if ((view.HasAnyTombstone || view.Active.Tombstones.Length > 0) && view.MaxTombstone(key, snapshot) > seq)
        {
            value = default;
            return false;
        }
        return true;
    }

    /// <summary>The newest version of <paramref name="key"/> at or below <paramref name="snapshot"/> in memtables, then level 0, then deeper levels.</summary>
    private bool FindNewest(StoreView view, ReadOnlySpan<byte> key, ulong snapshot, bool copying, out EntryKind kind, out ulong seq,
        out ReadOnlySpan<byte> value, out byte[]? recyclable, out int generation)
    {
        recyclable = null;
        generation = 0;
        if (view.Active.TryGet(key, snapshot, out kind, out seq, out value)) return true;
        foreach (var m in view.Immutables)
            if (m.TryGet(key, snapshot, out kind, out seq, out value)) return true;
        var levels = view.Levels;
        var hash = 0UL;
        var hashed = false;
        var prefix = CachedBlock.Prefix(key);
        var level0 = levels[0];
        var smallest0 = view.SmallestPrefixes[0];
        var largest0 = view.LargestPrefixes[0];
        for (var i = 0; i < level0.Length; i++)
        {
            if (prefix < smallest0[i] || prefix > largest0[i]) continue;
            var t = level0[i];
            if (!InRange(t, key)) continue;
            if (!hashed) { hash = BloomFilter.Hash(key); hashed = true; }
            var b = t.Prepare(key, snapshot, hash, out var filterPart, out var filterAt);
            if (!t.MayContain(filterPart, filterAt, hash)) continue;
            _tableProbes++;
            if (t.TryGet(b, key, snapshot, copying, out kind, out seq, out value, out recyclable, out generation)) return true;
        }
        for (var l = 1; l < levels.Length; l++)
        {
            var level = levels[l];
            if (level.Length == 0) continue;
            var t = FindTable(level, view.SmallestPrefixes[l], view.LargestPrefixes[l], key, prefix);
            if (t is null) continue;
            if (!hashed) { hash = BloomFilter.Hash(key); hashed = true; }
            var b = t.Prepare(key, snapshot, hash, out var filterPart, out var filterAt);
            if (!t.MayContain(filterPart, filterAt, hash)) continue;
            _tableProbes++;
            if (t.TryGet(b, key, snapshot, copying, out kind, out seq, out value, out recyclable, out generation)) return true;
        }
        kind = default;
        seq = 0;
        value = default;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InRange(TableReader t, ReadOnlySpan<byte> key) =>
        KeyOrder.Compare(key, t.Properties.SmallestKey) >= 0 && KeyOrder.Compare(key, t.Properties.LargestKey) <= 0;

    /// <summary>The table of a sorted level whose range holds <paramref name="key"/>, or null (whole keys compared only where the 8-byte prefixes tie).</summary>
    private static TableReader? FindTable(TableReader[] level, ulong[] smallest, ulong[] largest, ReadOnlySpan<byte> key, ulong prefix)
    {
        int lo = 0, hi = largest.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var p = largest[mid];
            if (p < prefix || (p == prefix && KeyOrder.Compare(level[mid].Properties.LargestKey, key) < 0)) lo = mid + 1;
            else hi = mid;
        }
        if (lo >= largest.Length) return null;
        var s = smallest[lo];
        if (s > prefix || (s == prefix && KeyOrder.Compare(key, level[lo].Properties.SmallestKey) < 0)) return null;
        return level[lo];
    }
}
