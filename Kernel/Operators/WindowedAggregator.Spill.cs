using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Checkpoints;
using Kernel.Storage.Lsm;

namespace Kernel.Operators;

// State larger than memory (docs/state-and-memory.md). With a budget (WindowOptions.StateBudgetEntries),
// cold state leaves memory at a checkpoint barrier, never on the per-event path:
//   - cold = a fired window still inside its allowed lateness (only allowed-late events, queries and its
//     release read it again);
//   - its clean entries leave, oldest window first, while the entries in memory exceed the budget, and
//     only when the live LSM store of incremental checkpoints holds them: the entry did not change since
//     the last capture, that capture wrote this very bucket (not cleared since), and the store has
//     applied that capture (ISpillStore.StoreHoldingLastCapture). Dropping it from memory then loses
//     nothing: it stays in the store under the key the checkpoint wrote it with. A changed (dirty)
//     entry stays until the capture at this barrier has written it: it may leave at the next one;
//   - the bucket stays in the fired list with an empty table and a count of entries held only in the
//     store (WindowBucket.Spilled). To an incremental capture the dropped entries are unchanged (no
//     removal is recorded), and the metadata counts table + spilled, so a restore rebuilds them;
//   - an allowed-late event whose key misses in the table looks in the store before starting from a
//     fresh aggregate: found, the entry comes back (dirty, as any update makes it) and folds the event;
//   - a query reads a missing key from the store; visiting a window and its release (the Final rows)
//     scan the window's range in the store for the keys not in memory;
//   - a full capture (first in a process, after an abort or a failed write) deletes the store's content
//     before writing memory's, and a full snapshot is written from memory: both load every spilled
//     entry back first (UnspillAll);
//   - a restore from the store (RestoreFromStore) keeps the budget too: the open windows (panes and
//     revision buckets) come into memory whole, the fired windows share what the budget leaves, newest
//     first (the barrier's spill drops the oldest first), and the rest stays in the store it was read
//     from, counted in WindowBucket.Spilled, exactly as if a barrier had spilled it (RestoreQuota).
// Keys in memory are hot: nothing on their path looks at the store.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private long _stateBudget;              // 0: no budget
    private ISpillStore? _spillSource;
    private LsmStore? _spillStore;          // the store the spilled entries were left in
    private byte[] _spillKey = [];          // prefix ‖ bucket id ‖ key, reused
    private long _spillReads;
    private long _spillWrites;

    /// <summary>The budget of (key, window) entries in memory (0: none; <see cref="WindowOptions.StateBudgetEntries"/>).</summary>
    public long StateBudgetEntries => _stateBudget;

    /// <summary>The (key, window) entries held only in the LSM store (spilled past the budget), not in memory.</summary>
    public long SpilledEntries
    {
        get
        {
            long n = 0;
            for (var i = 0; i < _firedCount; i++) n += _fired[i].Spilled;
            return n;
        }
    }

    /// <summary>Entries dropped from memory so far (each spill of a window counts its entries).</summary>
    public long SpillEvictions => _spillWrites;

    /// <summary>Entries read back from the LSM store so far (allowed-late events and queries of spilled entries).</summary>
    public long SpillReads => _spillReads;

    private void InitSpill(WindowOptions options)
    {
        var budget = options.StateBudgetEntries;
        if (budget < 0) OperatorThrowHelper.ThrowOption("StateBudgetEntries", budget, "must not be negative (0: no budget)");
        if (budget == 0) return;
        if (_session || TSpec.HasSideState)
            OperatorThrowHelper.ThrowOption("StateBudgetEntries", budget, $"is not supported for aggregation '{TSpec.Name}': session windows and sketches keep full snapshots, so their state cannot spill to the LSM store yet");
        _spillSource = SpillSupport.Source(options.Control, budget, TSpec.Name, "entries");
        _stateBudget = budget;
    }

    /// <summary>At a barrier, before the capture: a full capture loads spilled entries back; otherwise cold windows spill while memory is over budget.</summary>
    private void SpillAtCapture(bool full)
    {
        if (_stateBudget == 0) return;
        if (full)
        {
            UnspillAll();
            return;
        }
        var inMemory = StateEntries;
        if (inMemory <= _stateBudget || _firedCount == 0) return;
        var store = SpillSupport.StoreForBarrier(_spillSource!, _spillStore, SpilledEntries, inMemory, _stateBudget, TSpec.Name, "entries");
        if (store is null) return;   // the last capture is not in the store (yet): try at the next barrier
        _spillStore = store;
        for (var i = 0; i < _firedCount && inMemory > _stateBudget; i++)
        {
            var bucket = _fired[i];
            var table = bucket.Table;
            if (table.Count == 0 || table.ClearedSinceClean) continue;
            // Only a bucket the last capture wrote (this very object: a pooled one reused for the window is another).
            if (!_persisted.TryGetValue((bucket.Start, bucket.End), out var stored) || !ReferenceEquals(stored, bucket)) continue;
            if (_emit == EmitMode.Periodic) KeepChangedInMemory(bucket);   // their periodic row is still due from memory
            var n = table.EvictClean();
            bucket.Spilled += n;
            inMemory -= n;
            _spillWrites += n;
        }
    }

    /// <summary>
    /// Restore from the store with a budget: how many entries of each window the metadata lists (panes,
    /// fired windows, revision buckets, each sorted by start; their counts at <paramref name="listAt"/>)
    /// may come into memory. Open windows take all theirs (events fold into them without looking at the
    /// store); the fired ones share what is left of the budget, the newest first. Null without a budget.
    /// </summary>
    private int[]? RestoreQuota(ReadOnlySpan<byte> metadata, int listAt, int panes, int fired, int revs)
    {
        if (_stateBudget == 0) return null;
        var windows = panes + fired + revs;
        var quota = new int[windows];
        var left = _stateBudget;
        for (var i = 0; i < windows; i++)
        {
            if (i >= panes && i < panes + fired) continue;
            quota[i] = int.MaxValue;
            left -= ListedCount(metadata, listAt, i);
        }
        for (var i = panes + fired - 1; i >= panes; i--)
        {
            var n = (int)Math.Clamp(left, 0, ListedCount(metadata, listAt, i));
            quota[i] = n;
            left -= n;
        }
        return quota;
    }

    private static int ListedCount(ReadOnlySpan<byte> metadata, int listAt, int window) =>
        Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(metadata[(listAt + window * 20 + 16)..]));

    /// <summary>
    /// Restore with a budget: true when an entry of window <paramref name="index"/> comes into memory; false
    /// when it stays in the store, counted as spilled. An entry with a periodic row due stays in memory
    /// past the quota (as the barrier's spill keeps it: the row is emitted from memory).
    /// </summary>
    private bool KeepRestored(int[] quota, int index, WindowBucket<TKey, TState, Hasher> bucket, bool changed)
    {
        if (quota[index] > 0)
        {
            if (quota[index] != int.MaxValue) quota[index]--;
            return true;
        }
        if (changed && _emit == EmitMode.Periodic) return true;
        bucket.Spilled++;
        return false;
    }

    /// <summary>Marks the entries with a periodic row due dirty, so the spill keeps them (the capture writes them again, harmlessly).</summary>
    private static void KeepChangedInMemory(WindowBucket<TKey, TState, Hasher> bucket)
    {
        var en = bucket.Table.GetEnumerator();
        while (en.MoveNext())
            if (en.Current.State.Changed) en.MarkDirty();
    }

    /// <summary>Loads every spilled entry back into memory, clean (the store holds it unchanged).</summary>
    private void UnspillAll()
    {
        for (var i = 0; i < _firedCount; i++)
        {
            var bucket = _fired[i];
            if (bucket.Spilled == 0) continue;
            var loaded = 0;
            using (var it = OpenSpilled(bucket))
            {
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    Decode(it.Key, it.Value, out var key, out var slot);
                    if (bucket.Table.TryAddClean(key, slot)) loaded++;
                }
            }
            CheckSpilledCount(bucket, loaded);
            bucket.Spilled = 0;
            _spillReads += loaded;
        }
    }

    /// <summary>
    /// An allowed-late event's key just missed in <paramref name="bucket"/>'s table and was added as
    /// <paramref name="slot"/>: fill it from the store when the key spilled. False when it did not (start fresh).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FaultIn(WindowBucket<TKey, TState, Hasher> bucket, in TKey key, ref WindowSlot<TState> slot)
    {
        if (!TryReadSpilled(bucket, key, out var stored)) return false;
        slot = stored;
        bucket.Spilled--;
        return true;
    }

    /// <summary>The spilled entry of <paramref name="key"/> in <paramref name="bucket"/> (the caller found no entry in memory).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryReadSpilled(WindowBucket<TKey, TState, Hasher> bucket, in TKey key, out WindowSlot<TState> slot)
    {
        slot = default;
        if (bucket.Spilled == 0) return false;
        var storeKey = SpillKey(bucket, MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key)));
        if (!_spillStore!.TryGet(storeKey, out var value)) return false;
        DecodeValue(value, out slot);
        _spillReads++;
        return true;
    }

    /// <summary>Emits the final rows of the spilled entries of a window being released (the ones in memory were emitted by the caller).</summary>
    private void EmitSpilled(WindowBucket<TKey, TState, Hasher> window)
    {
        var emitted = 0;
        using (var it = OpenSpilled(window))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                Decode(it.Key, it.Value, out var key, out var slot);
                if (window.Table.ContainsKey(key)) continue;   // came back to memory: emitted from there
                Emit(key, ref slot, window.Start, window.End, isFinal: true);
                emitted++;
            }
        }
        CheckSpilledCount(window, emitted);
        _spillReads += emitted;
        window.Spilled = 0;
    }

    /// <summary>Hands the rows of a window's spilled entries to <paramref name="visitor"/> (queries); returns how many.</summary>
    private int VisitSpilled<TVisitor>(WindowBucket<TKey, TState, Hasher> window, ref TVisitor visitor)
        where TVisitor : struct, IRowVisitor<TRow>
    {
        var n = 0;
        using var it = OpenSpilled(window);
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            Decode(it.Key, it.Value, out var key, out var slot);
            if (window.Table.ContainsKey(key)) continue;
            TSpec.ToRow(key, slot.Agg, window.Start, window.End, out var row);
            visitor.Visit(row);
            n++;
        }
        return n;
    }

    private LsmIterator OpenSpilled(WindowBucket<TKey, TState, Hasher> bucket) =>
        _spillStore!.CreatePrefixIterator(SpillKey(bucket, default));

    private void CheckSpilledCount(WindowBucket<TKey, TState, Hasher> bucket, int found)
    {
        if (found != bucket.Spilled)
            throw new InvalidDataException($"aggregation '{TSpec.Name}': window [{bucket.Start}, {bucket.End}) spilled {bucket.Spilled} entries to the LSM store, {found} were found there");
    }

    /// <summary>The store key of <paramref name="key"/> in <paramref name="bucket"/> (the incremental checkpoint's, <see cref="IncrementalKeys"/>); an empty key gives the window's prefix.</summary>
    private ReadOnlySpan<byte> SpillKey(WindowBucket<TKey, TState, Hasher> bucket, ReadOnlySpan<byte> key) =>
        SpillSupport.Key(ref _spillKey, _spillSource!.StatePrefix, bucket.Start, bucket.End, key, KeySize);

    private void Decode(ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> value, out TKey key, out WindowSlot<TState> slot)
    {
        key = MemoryMarshal.Read<TKey>(storeKey[(_spillSource!.StatePrefix.Length + IncrementalKeys.BucketIdSize)..]);
        DecodeValue(value, out slot);
    }

    /// <summary>The value format of <c>PutEntry</c> (WindowedAggregator.Incremental.cs): aggregate, revision (i32 LE), changed (u8).</summary>
    private static void DecodeValue(ReadOnlySpan<byte> value, out WindowSlot<TState> slot)
    {
        if (value.Length != StateSize + 5)
            throw new InvalidDataException($"aggregation '{TSpec.Name}': a spilled entry holds {value.Length} bytes, expected {StateSize + 5}");
        slot = default;
        slot.Agg = MemoryMarshal.Read<TState>(value);
        slot.Revision = BinaryPrimitives.ReadInt32LittleEndian(value[StateSize..]);
        slot.Changed = value[StateSize + 4] != 0;
    }
}
