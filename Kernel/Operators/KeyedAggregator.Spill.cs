using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Checkpoints;
using Kernel.Storage.Lsm;

namespace Kernel.Operators;

// State larger than memory for the unwindowed keyed aggregation (docs/state-and-memory.md). With a
// budget (KeyedAggregatorOptions.StateBudgetEntries), idle keys leave memory at a checkpoint barrier,
// never on the per-event path:
//   - idle = not updated since the previous barrier's capture (one checkpoint interval): its entry is
//     clean, and the store holds it exactly, provided the store has applied that capture
//     (ISpillStore.StoreHoldingLastCapture). When the keys in memory exceed the budget, every clean
//     entry is dropped (StateTable.EvictClean: no removal is recorded, so to the next capture they are
//     unchanged); the updated (dirty) ones stay until this barrier's capture has written them. "Idle for
//     N intervals" would need an age per key: either a write per event (the hot path) or an O(keys)
//     aging pass at every barrier (the pause), so one interval it is;
//   - a count of keys held only in the store (_spilled); the metadata counts table + spilled, so a
//     restore finds them all (and keeps at most the budget in memory, leaving the rest in the store);
//   - an event whose key misses in the table is the new-key path (GetValueRefOrAdd added it): only
//     there, and only while keys are spilled, the store is asked (FaultIn, out of line, no allocation:
//     LsmStore.Get into a reused buffer). Found, the entry comes back (dirty, as any update makes it)
//     and folds the event. Keys in memory — the hot ones — never touch the store;
//   - a lookup (TryGet) of a key not in memory reads the store; GetRows scans the store after memory
//     for the keys not in memory;
//   - a full capture (which deletes the store's content before writing memory's) and a full snapshot
//     load every spilled key back first (UnspillAll).
public sealed partial class KeyedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private long _stateBudget;              // 0: no budget
    private ISpillStore? _spillSource;
    private LsmStore? _spillStore;          // the store the spilled keys were left in
    private long _spilled;                  // keys held only in the store
    private byte[] _spillKey = [];          // prefix ‖ bucket id ‖ key, reused (operator's thread)
    private byte[] _spillValue = [];        // a value read back, reused (operator's thread)
    private long _spillReads;
    private long _spillWrites;

    /// <summary>The budget of keys in memory (0: none; <see cref="KeyedAggregatorOptions.StateBudgetEntries"/>).</summary>
    public long StateBudgetEntries => _stateBudget;

    /// <summary>The keys held only in the LSM store (spilled past the budget), not in memory.</summary>
    public long SpilledEntries => _spilled;

    /// <summary>Keys dropped from memory so far.</summary>
    public long SpillEvictions => _spillWrites;

    /// <summary>Keys read back from the LSM store into memory so far (events of spilled keys, full captures and snapshots).</summary>
    public long SpillReads => _spillReads;

    private void InitSpill(KeyedAggregatorOptions options)
    {
        var budget = options.StateBudgetEntries;
        if (budget < 0) OperatorThrowHelper.ThrowOption("StateBudgetEntries", budget, "must not be negative (0: no budget)");
        if (budget == 0) return;
        if (TSpec.HasSideState)
            OperatorThrowHelper.ThrowOption("StateBudgetEntries", budget, $"is not supported for aggregation '{TSpec.Name}': sketches keep full snapshots, so its state cannot spill to the LSM store");
        _spillSource = SpillSupport.Source(options.Control, budget, TSpec.Name, "keys");
        _stateBudget = budget;
    }

    /// <summary>At a barrier, before the capture: a full capture loads spilled keys back; otherwise, over budget, idle keys leave memory.</summary>
    private void SpillAtCapture(bool full)
    {
        if (_stateBudget == 0) return;
        if (full)
        {
            UnspillAll();
            return;
        }
        var inMemory = _table.Count;
        if (inMemory <= _stateBudget || _table.ClearedSinceClean) return;
        var store = SpillSupport.StoreForBarrier(_spillSource!, _spillStore, _spilled, inMemory, _stateBudget, TSpec.Name, "keys");
        if (store is null) return;   // the last capture is not in the store (yet): try at the next barrier
        _spillStore = store;
        var n = _table.EvictClean();
        _spilled += n;
        _spillWrites += n;
    }

    /// <summary>Loads every spilled key back into memory, clean (the store holds it unchanged).</summary>
    private void UnspillAll()
    {
        if (_spilled == 0) return;
        var loaded = 0L;
        using (var it = OpenSpilled())
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                DecodeSpilled(it.Key, it.Value, out var key, out var state);
                if (_table.TryAddClean(key, state)) loaded++;
            }
        }
        if (loaded != _spilled)
            throw new InvalidDataException($"aggregation '{TSpec.Name}': {_spilled} keys were spilled to the LSM store, {loaded} were found there");
        _spilled = 0;
        _spillReads += loaded;
    }

    /// <summary>
    /// An event's key just missed in the table and was added with <paramref name="state"/> (zeroed), while
    /// keys are spilled: fill it from the store when the key is one of them, else start it fresh.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FaultIn(TKey key, ref TState state)
    {
        var value = _spillValue;
        if (value.Length != StateSize) _spillValue = value = new byte[Math.Max(1, StateSize)];
        var length = _spillStore!.Get(SpillKey(MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key))), value);
        if (length < 0)
        {
            TSpec.Init(out state);
            return;
        }
        if (length != StateSize) ThrowBadSpilled(length);
        state = MemoryMarshal.Read<TState>(value);
        _spilled--;
        _spillReads++;
    }

    /// <summary>
    /// The spilled state of <paramref name="key"/> (the caller found no entry in memory), for a lookup: may
    /// run on a query thread (between batches, under the query gate), so it uses no shared buffer.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryReadSpilled(in TKey key, out TState state)
    {
        state = default;
        var store = _spillStore;
        if (store is null) return false;
        var prefix = _spillSource!.StatePrefix;
        var keyLength = prefix.Length + IncrementalKeys.BucketIdSize + KeySize;
        Span<byte> storeKey = keyLength <= 256 ? stackalloc byte[keyLength] : new byte[keyLength];
        SpillSupport.WriteKey(storeKey, prefix, Bucket, Bucket, MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key)));
        if (!store.TryGet(storeKey, out var value)) return false;
        if (value.Length != StateSize) ThrowBadSpilled(value.Length);
        state = MemoryMarshal.Read<TState>(value);
        return true;
    }

    private LsmIterator OpenSpilled() =>
        _spillStore!.CreatePrefixIterator(SpillKey(default));

    /// <summary>The store key of <paramref name="key"/> (the incremental checkpoint's, <see cref="IncrementalKeys"/>); an empty key gives the table's prefix.</summary>
    private ReadOnlySpan<byte> SpillKey(ReadOnlySpan<byte> key) =>
        SpillSupport.Key(ref _spillKey, _spillSource!.StatePrefix, Bucket, Bucket, key, KeySize);

    private void DecodeSpilled(ReadOnlySpan<byte> storeKey, ReadOnlySpan<byte> value, out TKey key, out TState state)
    {
        KeyedSnapshotFormat.CheckEntry(storeKey, value, _spillSource!.StatePrefix.Length, KeySize, StateSize, $"aggregation '{TSpec.Name}' spilled state");
        key = MemoryMarshal.Read<TKey>(storeKey[(_spillSource.StatePrefix.Length + IncrementalKeys.BucketIdSize)..]);
        state = MemoryMarshal.Read<TState>(value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSpilled(int length) =>
        throw new InvalidDataException($"aggregation '{TSpec.Name}': a spilled key's value holds {length} bytes, expected {StateSize}");
}
