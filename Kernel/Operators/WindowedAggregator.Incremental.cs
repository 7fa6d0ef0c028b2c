using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Checkpoints;
using Kernel.Storage.Common;

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
// Then every captured table is marked clean. The metadata (format below) goes to a file beside the
// checkpoint's LSM checkpoint; restore rebuilds a full snapshot from the two (IncrementalState).
//
// Metadata format "KWAI", version 1 (little-endian): the operator snapshot format (v2) without entries.
//  +0  4  magic "KWAI"   +4 2 version (1)   +6 2 flags (0)   +8 8 state fingerprint
//  +16 8  combined watermark   +24 8 next window to fire   +32 8 events   +40 8 late   +48 8 rows
//  +56 4  source count S   +60 4 pane count P   +64 4 fired count F   +68 4 key size K   +72 4 aggregate size A
//  +76 S×16 per source: max event time, watermark
//  ... (P+F)× start (i64), end (i64), entry count (i32)     — panes first, then fired windows, each sorted by start
//  end−4 4 CRC-32C
//
// Session windows and aggregations with sketches keep full snapshots (SupportsIncremental is false):
// sessions live in a node array whose indices the timer heap refers to, not in per-window tables.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> : IIncrementalSnapshotOperator
{
    internal const uint IncrementalMagic = 0x4941574B; // "KWAI"
    internal const ushort IncrementalVersion = 1;

    // The buckets the store holds as of the last capture, by id, with the bucket object that was
    // captured: a pooled bucket reused for another window is another id; one reused for the same id
    // is caught by its table's cleared flag.
    private Dictionary<(long Start, long End), WindowBucket<TKey, TState, Hasher>> _persisted = [];
    private Dictionary<(long Start, long End), WindowBucket<TKey, TState, Hasher>> _persistedNext = [];

    /// <inheritdoc />
    bool IIncrementalSnapshotOperator.SupportsIncremental => !_session && !TSpec.HasSideState;

    /// <inheritdoc />
    void IIncrementalSnapshotOperator.CaptureChanges(IncrementalCapture capture, bool full)
    {
        if (_session || TSpec.HasSideState)
            throw new InvalidOperationException($"aggregation '{TSpec.Name}': session windows and sketches keep full snapshots");
        SpillAtCapture(full);   // [spill] over the state budget, cold windows leave memory (WindowedAggregator.Spill.cs)
        if (full) _persisted.Clear();
        var next = _persistedNext;
        next.Clear();
        Span<byte> value = stackalloc byte[StateSize + 5];
        for (var i = 0; i < _paneCount; i++) CaptureBucket(capture, _panes[i], next, value);
        for (var i = 0; i < _firedCount; i++) CaptureBucket(capture, _fired[i], next, value);
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
    }

    private void MarkPersisted(WindowBucket<TKey, TState, Hasher> bucket)
    {
        bucket.Table.MarkClean();
        _persisted[(bucket.Start, bucket.End)] = bucket;
    }

    private void CaptureBucket(IncrementalCapture capture, WindowBucket<TKey, TState, Hasher> bucket, Dictionary<(long, long), WindowBucket<TKey, TState, Hasher>> next, Span<byte> value)
    {
        var id = (bucket.Start, bucket.End);
        if (!next.TryAdd(id, bucket))
            throw new InvalidOperationException($"aggregation '{TSpec.Name}': two buckets hold window [{bucket.Start}, {bucket.End}); an incremental checkpoint cannot tell them apart");
        var table = bucket.Table;
        var known = _persisted.TryGetValue(id, out var stored);
        if (known && ReferenceEquals(stored, bucket) && !table.ClearedSinceClean)
        {
            foreach (ref var entry in table.ChangedEntries) PutEntry(capture, bucket, ref entry, value);
            foreach (ref readonly var key in table.RemovedKeys)
                capture.Delete(bucket.Start, bucket.End, MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key)));
        }
        else
        {
            if (known) capture.DeleteBucket(bucket.Start, bucket.End);
            foreach (ref var entry in table) PutEntry(capture, bucket, ref entry, value);
        }
        table.MarkClean();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PutEntry(IncrementalCapture capture, WindowBucket<TKey, TState, Hasher> bucket, ref Kernel.State.StateEntry<TKey, WindowSlot<TState>> entry, Span<byte> value)
    {
        MemoryMarshal.Write(value, in entry.State.Agg);
        BinaryPrimitives.WriteInt32LittleEndian(value[StateSize..], entry.State.Revision);
        value[StateSize + 4] = entry.State.Changed ? (byte)1 : (byte)0;
        capture.Put(bucket.Start, bucket.End, MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in entry.Key)), value);
    }

    private void WriteIncrementalMetadata(IncrementalCapture capture)
    {
        var sources = _maxEventTime.Length;
        var total = SnapshotHeaderSize + sources * 16 + (_paneCount + _firedCount) * 20 + 4;
        var span = capture.Metadata.GetSpan(total)[..total];
        BinaryPrimitives.WriteUInt32LittleEndian(span, IncrementalMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], IncrementalVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], TSpec.StateFingerprint);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], _watermark);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], _nextFireStart);
        BinaryPrimitives.WriteInt64LittleEndian(span[32..], _eventsSeen);
        BinaryPrimitives.WriteInt64LittleEndian(span[40..], _lateEvents);
        BinaryPrimitives.WriteInt64LittleEndian(span[48..], _rowsEmitted);
        BinaryPrimitives.WriteInt32LittleEndian(span[56..], sources);
        BinaryPrimitives.WriteInt32LittleEndian(span[60..], _paneCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[64..], _firedCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[68..], KeySize);
        BinaryPrimitives.WriteInt32LittleEndian(span[72..], StateSize);
        var at = SnapshotHeaderSize;
        for (var s = 0; s < sources; s++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], _maxEventTime[s]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], _tracker.WatermarkOf(s));
            at += 16;
        }
        for (var i = 0; i < _paneCount + _firedCount; i++)
        {
            var bucket = i < _paneCount ? _panes[i] : _fired[i - _paneCount];
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
