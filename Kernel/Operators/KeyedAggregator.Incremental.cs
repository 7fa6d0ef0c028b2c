using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Checkpoints;
using Kernel.State;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm;

namespace Kernel.Operators;

// Incremental checkpoints of the unwindowed keyed aggregation (docs/checkpoints.md). The operator has
// one table, which is one "bucket" of the windowed operator's scheme: its entries live in the LSM store
// under prefix ‖ bucket id [0, 0) ‖ key (IncrementalKeys), each value the aggregate's raw bytes. At a
// barrier the operator's thread only copies:
//   - normally: the keys removed since the previous capture, then the entries the table's dirty-slot
//     list names (the keys updated since) — O(dirty), the pause;
//   - on a full capture (first in a process, after an abort or a failed write) or a table replaced
//     since (a full snapshot restored into it): every entry, after a delete of the whole bucket.
// The raw entry structs go into the capture's flat buffer; IncrementalCapture.Encode turns them into
// LSM operations on the checkpoint's writer thread, exactly as for windows (EntryLayout.Unwindowed: no
// revision or changed flag). Then the table is marked clean. The metadata ("KKAI", KeyedSnapshotFormat.cs)
// carries the watermark, the events seen and the entry count the store must hold; restore reads the
// store straight into the table and checks that count.
//
// Specs with sketches keep full snapshots (SupportsIncremental is false): their side state is not in the table.
public sealed partial class KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> : IIncrementalSnapshotOperator
{
    private const long Bucket = KeyedSnapshotFormat.Bucket;

    // Where key and aggregate sit in a table entry: the capture copies entries raw and encodes them off the operator's thread.
    private static readonly EntryLayout s_entryLayout = ComputeEntryLayout();

    /// <inheritdoc />
    bool IIncrementalSnapshotOperator.SupportsIncremental => !TSpec.HasSideState;

    /// <inheritdoc />
    void IIncrementalSnapshotOperator.CaptureChanges(IncrementalCapture capture, bool full)
    {
        if (TSpec.HasSideState)
            throw new InvalidOperationException($"aggregation '{TSpec.Name}': sketches keep full snapshots");
        // [changes] pending changes go out first (a barrier met in the ring has sent them already): a key
        // the spill below drops from memory must have been sent (after a restore, say, every key is pending).
        if (_changes is not null) EmitChanges();
        SpillAtCapture(full);   // [spill] over the state budget, idle keys leave memory (KeyedAggregator.Spill.cs)
        capture.SetLayout(s_entryLayout);
        var table = _table;
        if (full || table.ClearedSinceClean)
        {
            if (!full) capture.DeleteBucket(Bucket, Bucket);   // a full capture deletes the whole prefix itself
            if (table.Count > 0) table.CopyAllEntries(capture.ReserveEntries(Bucket, Bucket, table.Count));
        }
        else
        {
            // Removed keys first: a key removed and added again since the last capture is in both lists.
            capture.DeleteKeys(Bucket, Bucket, MemoryMarshal.AsBytes(table.RemovedKeys));
            var changed = table.ChangedCount;
            if (changed > 0) table.CopyChangedEntries(capture.ReserveEntries(Bucket, Bucket, changed));
        }
        table.MarkClean();
        WriteIncrementalMetadata(capture);
    }

    /// <inheritdoc />
    void IIncrementalSnapshotOperator.MarkPersisted() => _table.MarkClean();

    /// <inheritdoc />
    void IIncrementalSnapshotOperator.RestoreFromStore(ReadOnlySpan<byte> metadata, LsmStore store, byte[] prefix, string what)
    {
        if (TSpec.HasSideState)
            throw new InvalidOperationException($"aggregation '{TSpec.Name}': sketches keep full snapshots");
        // The metadata carries its own CRC; the entries are covered by the store's block checksums.
        var count = KeyedSnapshotFormat.CheckHeader(metadata, KeyedSnapshotFormat.MetadataMagic, TSpec.Name, what, TSpec.StateFingerprint, KeySize, StateSize, withEntries: false);
        // The entries are read (and checked, their count too) into a staging list first: a store the
        // metadata does not describe leaves the operator as it was. The list keeps the store's order, so
        // the table is filled in the order it always was.
        var keyAt = prefix.Length + IncrementalKeys.BucketIdSize;
        var expected = (int)Math.Min(Math.Min(count, _stateBudget == 0 ? count : _stateBudget), 1 << 20);
        var seen = new StateTable<TKey, byte, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>(TSpec.Name, TSpec.StateFingerprint, expected, trackRemovals: false);
        var kept = new List<(TKey Key, TState State)>(expected);
        long read = 0;
        using (var it = store.CreatePrefixIterator(prefix))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var key = it.Key;
                var value = it.Value;
                KeyedSnapshotFormat.CheckEntry(key, value, prefix.Length, KeySize, StateSize, what);
                read++;
                // [spill] past the state budget, the rest stays in the store (it holds them exactly)
                if (_stateBudget != 0 && kept.Count >= _stateBudget) continue;
                var k = MemoryMarshal.Read<TKey>(key[keyAt..]);
                seen.GetValueRefOrAdd(k, out var added);
                if (!added) KeyedSnapshotFormat.BadStore(what, "holds a key twice");
                kept.Add((k, MemoryMarshal.Read<TState>(value)));
            }
        }
        if (read != count) KeyedSnapshotFormat.BadStore(what, $"holds {read} entries, the metadata at offset 40 lists {count}");

        _table.Clear();
        foreach (var (key, state) in kept) _table.GetValueRefOrAdd(key, out _) = state;
        _table.MarkClean();
        _spilled = read - kept.Count;
        if (_spilled != 0) _spillStore = store;
        _watermark = BinaryPrimitives.ReadInt64LittleEndian(metadata[16..]);
        _eventsSeen = BinaryPrimitives.ReadInt64LittleEndian(metadata[24..]);
    }

    private void WriteIncrementalMetadata(IncrementalCapture capture)
    {
        const int total = KeyedSnapshotFormat.HeaderSize + 4;
        var span = capture.Metadata.GetSpan(total)[..total];
        var count = _table.Count + _spilled;   // [spill] spilled keys stay in the store
        KeyedSnapshotFormat.WriteHeader(span, KeyedSnapshotFormat.MetadataMagic, TSpec.StateFingerprint, _watermark, _eventsSeen, KeySize, StateSize, checked((int)count));
        BinaryPrimitives.WriteUInt32LittleEndian(span[KeyedSnapshotFormat.HeaderSize..], Crc32C.Compute(span[..KeyedSnapshotFormat.HeaderSize]));
        capture.Metadata.Advance(total);
    }

    private static EntryLayout ComputeEntryLayout()
    {
        var entry = default(Kernel.State.StateEntry<TKey, TState>);
        ref var origin = ref Unsafe.As<Kernel.State.StateEntry<TKey, TState>, byte>(ref entry);
        return EntryLayout.Unwindowed(
            Unsafe.SizeOf<Kernel.State.StateEntry<TKey, TState>>(),
            (int)Unsafe.ByteOffset(ref origin, ref Unsafe.As<TKey, byte>(ref entry.Key)),
            KeySize,
            (int)Unsafe.ByteOffset(ref origin, ref Unsafe.As<TState, byte>(ref entry.State)),
            StateSize);
    }
}
