using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Checkpoints;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm;

namespace Kernel.Operators;

// Incremental checkpoints (docs/checkpoints.md, "Incremental snapshots"). At a barrier the operator
// hands the checkpoint only what changed since its previous capture, as LSM operations:
//   - a window (pane or fired bucket) the store already holds, as this very bucket: its dirty entries
//     (the tables' dirty-slot lists make this O(dirty)) and its removed keys;
//   - a window new since the previous capture (or whose table was cleared and reused): a range delete
//     of its id, then every entry (all of them were written since, so this is O(dirty) too);
//   - a window the store holds that is gone (released after its lateness, merged away): a range delete.
// A tumbling pane that fires moves to the fired list as the same bucket with the same [start, end):
// its id in the store does not change, so firing writes nothing but the metadata's bucket list.
// Then every captured table is marked clean. What the operator's thread does here is the barrier's
// pause, so it only copies: each changed entry struct raw (key, aggregate, revision, flag as they sit
// in the table) into the capture's reused flat buffer; IncrementalCapture.Encode builds the LSM keys and
// values from those copies on the checkpoint's writer thread. The metadata (format below) goes to a file beside the
// checkpoint's LSM checkpoint; restore rebuilds a full snapshot from the two (IncrementalState).
//
// Metadata format "KWAI", version 2 (little-endian): the operator snapshot format (v3) without entries.
//  +0  4  magic "KWAI"   +4 2 version (2)   +6 2 flags (0)   +8 8 state fingerprint
//  +16 8  combined watermark   +24 8 next window to fire   +32 8 events   +40 8 late   +48 8 rows
//  +56 4  source count S   +60 4 pane count P   +64 4 fired count F   +68 4 key size K   +72 4 aggregate size A
//  +76 4  revision-bucket count R (sliding Periodic: WindowedAggregator.Periodic.cs)
//  +80 S×16 per source: max event time, watermark
//  ... (P+F+R)× start (i64), end (i64), entry count (i32)   — panes, fired windows, revision buckets, each sorted by start
//  end−4 4 CRC-32C
// A revision bucket has the id of its open window, [start, start + size): no pane has that length, and
// the window's fired bucket only exists once the revision bucket is gone. Version 1 (no R, a 76-byte
// header) is still read.
//
// Session windows and aggregations with sketches keep full snapshots (SupportsIncremental is false):
// sessions live in a node array whose indices the timer heap refers to, not in per-window tables.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> : IIncrementalSnapshotOperator
{
    internal const uint IncrementalMagic = 0x4941574B; // "KWAI"
    internal const ushort IncrementalVersion = 2;

    // The buckets the store holds as of the last capture, by id, with the bucket object that was
    // captured: a pooled bucket reused for another window is another id; one reused for the same id
    // is caught by its table's cleared flag.
    private Dictionary<(long Start, long End), WindowBucket<TKey, TState, Hasher>> _persisted = [];
    private Dictionary<(long Start, long End), WindowBucket<TKey, TState, Hasher>> _persistedNext = [];

    /// <inheritdoc />
    bool IIncrementalSnapshotOperator.SupportsIncremental => !_session && !TSpec.HasSideState;

    // Where key, aggregate, revision and changed flag sit in a table entry: the capture copies entries
    // raw and encodes them from these offsets off the operator's thread.
    private static readonly EntryLayout s_entryLayout = ComputeEntryLayout();

    /// <inheritdoc />
    void IIncrementalSnapshotOperator.CaptureChanges(IncrementalCapture capture, bool full)
    {
        if (_session || TSpec.HasSideState)
            throw new InvalidOperationException($"aggregation '{TSpec.Name}': session windows and sketches keep full snapshots");
        SpillAtCapture(full);   // [spill] over the state budget, cold windows leave memory (WindowedAggregator.Spill.cs)
        if (full) _persisted.Clear();
        capture.SetLayout(s_entryLayout);
        var next = _persistedNext;
        next.Clear();
        for (var i = 0; i < _paneCount; i++) CaptureBucket(capture, _panes[i], next);
        for (var i = 0; i < _firedCount; i++) CaptureBucket(capture, _fired[i], next);
        for (var i = 0; i < _revCount; i++) CaptureBucket(capture, _revs[i], next);
        foreach (var (id, _) in _persisted)
            if (!next.ContainsKey(id)) capture.DeleteBucket(id.Start, id.End);
        (_persisted, _persistedNext) = (next, _persisted);
        _persistedNext.Clear();
        WriteIncrementalMetadata(capture);
    }

    /// <inheritdoc />
    void IIncrementalSnapshotOperator.MarkPersisted()
    {
        _persisted.Clear();
        for (var i = 0; i < _paneCount; i++) MarkPersisted(_panes[i]);
        for (var i = 0; i < _firedCount; i++) MarkPersisted(_fired[i]);
        for (var i = 0; i < _revCount; i++) MarkPersisted(_revs[i]);
    }

    private void MarkPersisted(WindowBucket<TKey, TState, Hasher> bucket)
    {
        bucket.Table.MarkClean();
        _persisted[(bucket.Start, bucket.End)] = bucket;
    }

    private void CaptureBucket(IncrementalCapture capture, WindowBucket<TKey, TState, Hasher> bucket, Dictionary<(long, long), WindowBucket<TKey, TState, Hasher>> next)
    {
        var id = (bucket.Start, bucket.End);
        if (!next.TryAdd(id, bucket))
            throw new InvalidOperationException($"aggregation '{TSpec.Name}': two buckets hold window [{bucket.Start}, {bucket.End}); an incremental checkpoint cannot tell them apart");
        var table = bucket.Table;
        var known = _persisted.TryGetValue(id, out var stored);
        if (known && ReferenceEquals(stored, bucket) && !table.ClearedSinceClean)
        {
            // Removed keys first: a key removed and added again since the last capture is in both lists.
            capture.DeleteKeys(bucket.Start, bucket.End, MemoryMarshal.AsBytes(table.RemovedKeys));
            var changed = table.ChangedCount;
            if (changed > 0) table.CopyChangedEntries(capture.ReserveEntries(bucket.Start, bucket.End, changed));
        }
        else
        {
            if (known) capture.DeleteBucket(bucket.Start, bucket.End);
            if (table.Count > 0) table.CopyAllEntries(capture.ReserveEntries(bucket.Start, bucket.End, table.Count));
        }
        table.MarkClean();
    }

    private static EntryLayout ComputeEntryLayout()
    {
        var entry = default(Kernel.State.StateEntry<TKey, WindowSlot<TState>>);
        ref var origin = ref Unsafe.As<Kernel.State.StateEntry<TKey, WindowSlot<TState>>, byte>(ref entry);
        return new EntryLayout(
            Unsafe.SizeOf<Kernel.State.StateEntry<TKey, WindowSlot<TState>>>(),
            (int)Unsafe.ByteOffset(ref origin, ref Unsafe.As<TKey, byte>(ref entry.Key)),
            KeySize,
            (int)Unsafe.ByteOffset(ref origin, ref Unsafe.As<TState, byte>(ref entry.State.Agg)),
            StateSize,
            (int)Unsafe.ByteOffset(ref origin, ref Unsafe.As<int, byte>(ref entry.State.Revision)),
            (int)Unsafe.ByteOffset(ref origin, ref Unsafe.As<bool, byte>(ref entry.State.Changed)));
    }

    /// <inheritdoc />
    void IIncrementalSnapshotOperator.RestoreFromStore(ReadOnlySpan<byte> metadata, LsmStore store, byte[] prefix, string what)
    {
        if (_session || TSpec.HasSideState)
            throw new InvalidOperationException($"aggregation '{TSpec.Name}': session windows and sketches keep full snapshots");
        // The metadata carries its own CRC; the entries are covered by the store's block checksums,
        // which its iterator verifies as it reads: nothing is copied or checksummed a second time.
        if (metadata.Length < SnapshotHeaderSizeV2 + 4) BadMetadata(what, 0, $"{metadata.Length} bytes is shorter than the {SnapshotHeaderSizeV2 + 4}-byte minimum");
        if (BinaryPrimitives.ReadUInt32LittleEndian(metadata) != IncrementalMagic) BadMetadata(what, 0, "magic is not \"KWAI\"");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(metadata[4..]);
        if (version is not (1 or IncrementalVersion)) BadMetadata(what, 4, $"version {version} is not supported (expected 1 or {IncrementalVersion}; a later build wrote it)");
        var headerSize = version == 1 ? SnapshotHeaderSizeV2 : SnapshotHeaderSize;
        if (metadata.Length < headerSize + 4) BadMetadata(what, 0, $"{metadata.Length} bytes is shorter than the {headerSize + 4}-byte minimum of version {version}");
        var bodyEnd = metadata.Length - 4;
        if (BinaryPrimitives.ReadUInt32LittleEndian(metadata[bodyEnd..]) != Crc32C.Compute(metadata[..bodyEnd])) BadMetadata(what, bodyEnd, "CRC-32C does not match the content");
        var fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(metadata[8..]);
        if (fingerprint != TSpec.StateFingerprint)
            BadMetadata(what, 8, $"state fingerprint 0x{fingerprint:X16} differs from this build's 0x{TSpec.StateFingerprint:X16} (the aggregation's state schema changed)");
        var sources = BinaryPrimitives.ReadInt32LittleEndian(metadata[56..]);
        var panes = BinaryPrimitives.ReadInt32LittleEndian(metadata[60..]);
        var fired = BinaryPrimitives.ReadInt32LittleEndian(metadata[64..]);
        var revs = version == 1 ? 0 : BinaryPrimitives.ReadInt32LittleEndian(metadata[76..]);
        if (sources != _maxEventTime.Length) BadMetadata(what, 56, $"source count {sources} differs from the operator's {_maxEventTime.Length}");
        if (BinaryPrimitives.ReadInt32LittleEndian(metadata[68..]) != KeySize) BadMetadata(what, 68, $"key size {BinaryPrimitives.ReadInt32LittleEndian(metadata[68..])} differs from this build's {KeySize} (the key type changed)");
        if (BinaryPrimitives.ReadInt32LittleEndian(metadata[72..]) != StateSize) BadMetadata(what, 72, $"aggregate size {BinaryPrimitives.ReadInt32LittleEndian(metadata[72..])} differs from this build's {StateSize}");
        if (panes < 0 || fired < 0 || revs < 0 || headerSize + (long)sources * 16 + ((long)panes + fired + revs) * 20 != bodyEnd)
            BadMetadata(what, 56, $"{sources} sources and {(long)panes + fired + revs} windows do not fill the {bodyEnd} bytes of body");

        // The windows and the store's entries go into buckets rented for them, apart from the operator's
        // own, and are checked there (the window list, every entry, each window's count); only then does
        // the operator give up its state and take them. A store the metadata does not describe leaves the
        // operator as it was (the rented buckets go back to the pool).
        var listAt = headerSize + sources * 16;
        var windows = panes + fired + revs;
        var buckets = new WindowBucket<TKey, TState, Hasher>[windows];
        try
        {
            ReadRestoredBuckets(metadata, listAt, panes, fired, revs, store, prefix, what, buckets);
        }
        catch
        {
            foreach (var bucket in buckets)
                if (bucket is not null) Return(bucket);
            throw;
        }

        ClearBuckets();
        var at = headerSize;
        for (var s = 0; s < sources; s++)
        {
            _maxEventTime[s] = BinaryPrimitives.ReadInt64LittleEndian(metadata[at..]);
            _tracker.Advance(s, BinaryPrimitives.ReadInt64LittleEndian(metadata[(at + 8)..]));
            at += 16;
        }
        for (var i = 0; i < windows; i++)
        {
            var bucket = buckets[i];
            if (i < panes)
            {
                bucket.Touched = true;   // its changed flags came with it: the next periodic tick looks at it
                Insert(ref _panes, ref _paneCount, _paneCount, bucket);
            }
            else if (i < panes + fired) Insert(ref _fired, ref _firedCount, _firedCount, bucket);
            else Insert(ref _revs, ref _revCount, _revCount, bucket);
        }
        RestoreProgress(metadata);   // WindowedAggregator.Snapshot.cs
        if (_stateBudget != 0) _spillStore = store;   // [spill] where the entries past the budget stayed
        UpdateNextTimer();
    }

    /// <summary>
    /// Rents a bucket for each window the metadata lists (at <paramref name="listAt"/>) into <paramref name="buckets"/>
    /// and reads the store's entries into them, checking the list, every entry and each window's count. The
    /// operator's own state is not touched.
    /// </summary>
    private void ReadRestoredBuckets(ReadOnlySpan<byte> metadata, int listAt, int panes, int fired, int revs, LsmStore store, byte[] prefix, string what, WindowBucket<TKey, TState, Hasher>[] buckets)
    {
        var windows = buckets.Length;
        var index = new Dictionary<(long, long), int>(windows);
        for (int i = 0, at = listAt; i < windows; i++, at += 20)
        {
            var start = BinaryPrimitives.ReadInt64LittleEndian(metadata[at..]);
            var end = BinaryPrimitives.ReadInt64LittleEndian(metadata[(at + 8)..]);
            var count = BinaryPrimitives.ReadInt32LittleEndian(metadata[(at + 16)..]);
            if (count < 0 || !index.TryAdd((start, end), i)) BadMetadata(what, at, $"window {i} [{start}, {end}) with {count} entries is negative or listed twice");
            buckets[i] = Rent(start, end);
        }

        // Entries come sorted by window id, so one lookup per window, then straight into its table. The
        // keys' slots are scattered over a table far larger than the cache: each entry is decoded into a
        // small ring and its slot prefetched, and inserted RestorePrefetch entries later.
        var idAt = prefix.Length;
        var keyAt = idAt + IncrementalKeys.BucketIdSize;
        var keyLength = keyAt + KeySize;
        var valueLength = StateSize + 5;
        var current = -1;
        (long Start, long End) currentId = default;
        var pendingKeys = new TKey[RestorePrefetch];
        var pendingSlots = new WindowSlot<TState>[RestorePrefetch];
        var pendingBuckets = new int[RestorePrefetch];
        var quota = RestoreQuota(metadata, listAt, panes, fired, revs);   // [spill] null without a budget
        long read = 0;
        using (var it = store.CreatePrefixIterator(prefix))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var key = it.Key;
                var value = it.Value;
                if (key.Length != keyLength || value.Length != valueLength)
                    BadStore(what, $"an entry has a {key.Length}-byte key and a {value.Length}-byte value (expected {keyLength} and {valueLength})");
                var id = IncrementalKeys.ReadBucketId(key[idAt..]);
                if (current < 0 || id != currentId)
                {
                    if (!index.TryGetValue(id, out current)) BadStore(what, $"holds entries of window [{id.Start}, {id.End}), which the metadata does not list");
                    currentId = id;
                }
                if (quota is not null && !KeepRestored(quota, current, buckets[current], value[StateSize + 4] != 0)) continue;   // [spill] stays in the store
                var ring = (int)(read % RestorePrefetch);
                if (read >= RestorePrefetch) InsertRestored(buckets, pendingBuckets[ring], pendingKeys[ring], in pendingSlots[ring], what);
                pendingKeys[ring] = MemoryMarshal.Read<TKey>(key[keyAt..]);
                pendingBuckets[ring] = current;
                ref var slot = ref pendingSlots[ring];
                slot.Agg = MemoryMarshal.Read<TState>(value);
                slot.Revision = BinaryPrimitives.ReadInt32LittleEndian(value[StateSize..]);
                slot.Changed = value[StateSize + 4] != 0;
                buckets[current].Table.Prefetch(in pendingKeys[ring]);
                read++;
            }
        }
        for (var r = Math.Max(0, read - RestorePrefetch); r < read; r++)
        {
            var ring = (int)(r % RestorePrefetch);
            InsertRestored(buckets, pendingBuckets[ring], pendingKeys[ring], in pendingSlots[ring], what);
        }
        for (var i = 0; i < windows; i++)
        {
            var listed = BinaryPrimitives.ReadInt32LittleEndian(metadata[(listAt + i * 20 + 16)..]);
            if (buckets[i].Table.Count + buckets[i].Spilled != listed)
                BadStore(what, $"holds {buckets[i].Table.Count + buckets[i].Spilled} entries of window [{buckets[i].Start}, {buckets[i].End}), the metadata lists {listed}");
            buckets[i].Table.MarkClean();
        }
    }

    // Entries decoded ahead of their insertion at restore (their slots prefetched meanwhile).
    private const int RestorePrefetch = 16;

    private static void InsertRestored(WindowBucket<TKey, TState, Hasher>[] buckets, int bucket, TKey key, in WindowSlot<TState> value, string what)
    {
        var b = buckets[bucket];
        ref var slot = ref b.Table.GetValueRefOrAdd(key, out var added);
        if (!added) BadStore(what, $"holds a key of window [{b.Start}, {b.End}) twice");
        slot = value;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void BadMetadata(string what, int offset, string reason) =>
        throw new InvalidDataException($"{what}: operator metadata at offset {offset}: {reason}");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void BadStore(string what, string reason) =>
        throw new InvalidDataException($"{what}: the LSM checkpoint {reason}");

    private void WriteIncrementalMetadata(IncrementalCapture capture)
    {
        var sources = _maxEventTime.Length;
        var total = SnapshotHeaderSize + sources * 16 + (_paneCount + _firedCount + _revCount) * 20 + 4;
        var span = capture.Metadata.GetSpan(total)[..total];
        var at = WriteHeader(span, IncrementalMagic, IncrementalVersion, 0, sources);
        for (var i = 0; i < _paneCount + _firedCount + _revCount; i++)
        {
            var bucket = i < _paneCount ? _panes[i] : i < _paneCount + _firedCount ? _fired[i - _paneCount] : _revs[i - _paneCount - _firedCount];
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], bucket.Start);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], bucket.End);
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 16)..], bucket.Table.Count + bucket.Spilled);   // [spill] spilled entries stay in the store
            at += 20;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32C.Compute(span[..at]));
        capture.Metadata.Advance(total);
    }

    /// <summary>Emits every entry of a bucket and marks each dirty (its revision changed): the emit loops' incremental-aware form.</summary>
    private void EmitAllMarking(WindowBucket<TKey, TState, Hasher> bucket, bool isFinal, bool changedOnly)
    {
        var en = bucket.Table.GetEnumerator();
        while (en.MoveNext())
        {
            ref var entry = ref en.Current;
            if (changedOnly && !entry.State.Changed) continue;
            Emit(entry.Key, ref entry.State, bucket.Start, bucket.End, isFinal);
            en.MarkDirty();
        }
    }
}
