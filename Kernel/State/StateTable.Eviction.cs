using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kernel.State;

// Spilling cold state (docs/state-and-memory.md): the clean entries of a table (written to the LSM store
// by the last incremental checkpoint and not changed since) can be dropped from memory;
// an entry read back from the store is added without marking it dirty when it is only being loaded.
// Neither operation records a removal or sets the cleared flag: to an incremental checkpoint the
// dropped entries are unchanged, and the store keeps holding them.
public sealed partial class StateTable<TKey, TState, THasher>
{
    /// <summary>
    /// Drops every clean entry from memory without recording it as a change, keeping the dirty ones
    /// (which the next snapshot still has to write), and gives back the memory of a table that grew:
    /// the kept entries move into arrays sized for them (at least the initial size). The caller
    /// vouches that the last snapshot wrote every clean entry; a table cleared since then (whose next
    /// snapshot rewrites it whole) refuses.
    /// </summary>
    /// <returns>The number of entries dropped.</returns>
    internal int EvictClean()
    {
        if (_clearedSinceSnapshot) ThrowCleared();
        var dirty = ChangedCount;
        var evicted = _count - dirty;
        if (evicted == 0) return 0;
        var oldEntries = _entries;
        var oldLined = Lined ? _lined : null;
        var oldStart = _linedStart;
        var oldControl = _control;
        var slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(_initialSlots, dirty + dirty / 3 + 1));
        if (slots < _initialSlots) slots = _initialSlots;
        _dirtySlots = _dirtySlots.Length == 0 ? [] : new int[DirtyListCapacity(slots)];
        AllocateSlots(slots, MayDirect && (!s_lined || slots <= LinedEntries.MaxSlots));
        _count = 0;
        _maxIndex = 0;
        _dirtyCount = 0;
        _dirtyOverflow = _dirtySlots.Length == 0;
        ResetChangedList(slots);
        for (var i = 0; i < oldControl.Length; i++)
        {
            var c = oldControl[i];
            if ((c & Dirty) != Dirty) continue;   // Dirty, or dirty and flushed (StateTable.Dirty.cs)
            ref var entry = ref oldLined is null ? ref oldEntries[i] : ref LinedEntries.At<StateEntry<TKey, TState>>(oldLined, oldStart, i);
            GetValueRefOrAdd(entry.Key, out _) = entry.State;   // added dirty, as it was
            if (c != Dirty) KeepFlushed(entry.Key);
        }
        return evicted;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowCleared() =>
        throw new InvalidOperationException($"State table of aggregation '{_name}' was cleared since the last snapshot; its entries are not in the store to drop them from memory.");

    /// <summary>
    /// Adds <paramref name="key"/> with <paramref name="state"/> as a clean entry (read back from the
    /// store, unchanged since): it is not listed as a change. False, changing nothing, when the key is held.
    /// </summary>
    internal bool TryAddClean(in TKey key, in TState state)
    {
        if (ContainsKey(key)) return false;
        ref var slot = ref GetValueRefOrAdd(key, out _);
        slot = state;
        UndoDirty(key);
        return true;
    }

    /// <summary>Turns the just-added entry of <paramref name="key"/> back to clean (the last dirty-list append is its own).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UndoDirty(in TKey key)
    {
        var slot = SlotOf(key);
        // A table tracking changes (StateTable.Dirty.cs): the entry comes back as it was handed to the sink, not as a change.
        _control[slot] = TracksChanges ? (byte)(Clean | Flushed) : Clean;
        if (!_dirtyOverflow && _dirtyCount > 0 && _dirtySlots[_dirtyCount - 1] == slot) _dirtyCount--;
        else if (!_dirtyOverflow) _dirtyOverflow = true;   // not where expected (a growth rebuilt the list): fall back to the scan
    }

    /// <summary>Gives the just-re-added entry of <paramref name="key"/> its Flushed bit back (its state was handed to the change sink already).</summary>
    private void KeepFlushed(in TKey key)
    {
        var slot = SlotOf(key);
        _control[slot] |= Flushed;
    }
}
