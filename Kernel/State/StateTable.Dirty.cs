using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Kernel.State;

// The dirty-slot list: what an incremental checkpoint reads at a barrier. A slot's index is appended
// the first time its control byte turns Dirty after a MarkClean (GetValueRefOrAdd reads that byte
// anyway, so the test costs a compare of a value in a register; the append is one store into a
// preallocated array). Enumerating the changes and MarkClean then touch the dirty slots only, so a
// barrier with 10k dirty keys out of 1M costs 10k entries, not a 1M-byte control scan.
//
// Capacity: a quarter of the slots (at least 16), allocated with the slot arrays (growth reallocates
// it with them). Past it, or when a removal moves or empties a dirty slot (its index would go stale),
// the list "overflows": enumeration and MarkClean fall back to scanning the control bytes, exactly as
// before the list existed, until the next MarkClean empties it. Tables built with
// trackRemovals: false are never snapshotted and keep no list (always "overflowed").
public sealed partial class StateTable<TKey, TState, THasher>
{
    /// <summary>True while the dirty entries are listed (no fallback to the control-byte scan is needed).</summary>
    public bool DirtyListed => !_dirtyOverflow;

    /// <summary>True when <see cref="Clear"/> ran since the last snapshot or <see cref="MarkClean"/>.</summary>
    public bool ClearedSinceClean => _clearedSinceSnapshot;

    /// <summary>The keys removed since the last snapshot or <see cref="MarkClean"/> (valid until the next change).</summary>
    public ReadOnlySpan<TKey> RemovedKeys => _removed.AsSpan(0, _removedCount);

    private static int DirtyListCapacity(int slots) => Math.Max(16, slots / 4);

    // How many dirty entries ahead CopyChangedEntries asks for (both cache lines of an entry): enough
    // misses in flight to cover a DRAM latency with a copy of ~100 bytes per entry.
    private const int CopyPrefetchDistance = 16;

    /// <summary>
    /// Copies the entries written to since the last <see cref="MarkClean"/> (<see cref="ChangedCount"/>
    /// of them), raw — each <see cref="StateEntry{TKey, TState}"/> byte for byte — one after another into
    /// <paramref name="destination"/>: an incremental checkpoint's capture at a barrier, encoded later
    /// off the operator's thread. Does not mark the table clean.
    /// </summary>
    /// <returns>The number of entries copied.</returns>
    internal int CopyChangedEntries(Span<byte> destination)
    {
        var size = Unsafe.SizeOf<StateEntry<TKey, TState>>();
        if (_dirtyOverflow)
        {
            var copied = 0;
            foreach (ref var entry in ChangedEntries)
                MemoryMarshal.Write(destination[(copied++ * size)..], in entry);
            return copied;
        }
        var list = _dirtySlots;
        var n = _dirtyCount;
        if (MayDirect && _direct)
        {
            // Direct mode, packed or lined: each entry from slot 0's by one multiply (DirectEntry), instead of
            // EntryAt's test of the layout and, lined, its way from the data array to slot 0 per entry (twice per
            // entry with the hint): lined 32-byte window slots paused a barrier ~20% longer that way (session 21).
            ref var entries = ref DirectEntries();
            for (var i = 0; i < n && i < CopyPrefetchDistance; i++) PrefetchEntry(ref DirectEntry(ref entries, list[i]));
            for (var i = 0; i < n; i++)
            {
                if (i + CopyPrefetchDistance < n) PrefetchEntry(ref DirectEntry(ref entries, list[i + CopyPrefetchDistance]));
                Debug.Assert((uint)list[i] <= (uint)_mask, "a dirty slot outside the table");
                MemoryMarshal.Write(destination.Slice(i * size, size), in DirectEntry(ref entries, list[i]));
            }
            return n;
        }
        // The dirty slots are scattered over a table far larger than the cache: keep several entries'
        // loads in flight ahead of the copy (the barrier's pause is this loop's memory latency).
        for (var i = 0; i < n && i < CopyPrefetchDistance; i++) PrefetchSlot(list[i]);
        for (var i = 0; i < n; i++)
        {
            if (i + CopyPrefetchDistance < n) PrefetchSlot(list[i + CopyPrefetchDistance]);
            MemoryMarshal.Write(destination.Slice(i * size, size), in EntryAt(list[i]));
        }
        return n;
    }

    /// <summary>Copies every entry, raw, into <paramref name="destination"/> (a full capture; see <see cref="CopyChangedEntries"/>).</summary>
    /// <returns>The number of entries copied.</returns>
    internal int CopyAllEntries(Span<byte> destination)
    {
        var size = Unsafe.SizeOf<StateEntry<TKey, TState>>();
        var copied = 0;
        foreach (ref var entry in this)
            MemoryMarshal.Write(destination[(copied++ * size)..], in entry);
        return copied;
    }

    /// <summary>Hints both ends of the entry in <paramref name="slot"/> (any slot; nothing outside the table).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchSlot(int slot)
    {
        if ((uint)slot > (uint)_mask) return;
        PrefetchEntry(ref EntryAt(slot));
    }

    /// <summary>Hints both ends of <paramref name="entry"/> (an entry of this table's arrays).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchEntry(ref StateEntry<TKey, TState> entry)
    {
        if (!Sse.IsSupported) return;
        var p = (byte*)Unsafe.AsPointer(ref entry);
        Sse.Prefetch0(p);
        if (Unsafe.SizeOf<StateEntry<TKey, TState>>() > 1) Sse.Prefetch0(p + Unsafe.SizeOf<StateEntry<TKey, TState>>() - 1);
    }

    /// <summary>Records that <paramref name="slot"/> just turned Dirty (its control byte was not Dirty before).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AppendDirty(int slot) => AppendSlot(_dirtySlots, ref _dirtyCount, ref _dirtyOverflow, slot);

    /// <summary>Appends <paramref name="slot"/> to a slot list (the dirty or the changed one), or marks it overflowed when full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AppendSlot(int[] list, ref int count, ref bool overflow, int slot)
    {
        var n = count;
        if ((uint)n < (uint)list.Length)
        {
            list[n] = slot;
            count = n + 1;
        }
        else
        {
            overflow = true;
        }
    }

    /// <summary>Marks an occupied slot dirty (an entry changed through a reference the table did not hand out for writing).</summary>
    private void MarkSlotDirty(int slot)
    {
        ref var c = ref _control[slot];
        if (c == Dirty || c == Empty) return;
        TurnDirty(ref c, slot);
    }

    /// <summary>
    /// Turns an occupied or just-taken slot whose control byte <paramref name="c"/> is not Dirty into Dirty: lists it
    /// for the checkpoint unless it was listed already (7: dirty but flushed), and for the change sink when its
    /// state had been flushed (5, 7) or it was empty. Off the per-event path: a slot already Dirty never comes here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void TurnDirty(ref byte c, int slot)
    {
        var was = c;
        c = Dirty;
        if ((was & Dirty) != Dirty) AppendDirty(slot);
        if ((was & Flushed) != 0 || was == Empty) AppendChanged(slot);
    }

    // Changes for a change sink (KeyedAggregator's change sink; see KeyedAggregator.Changes.cs), tracked
    // beside the checkpoint's dirty list without disturbing it. The control byte carries one more bit,
    // Flushed (4), set only in a table that tracks changes (TrackChanges):
    //   0 empty · 1 Clean, changed since the last flush · 3 Dirty, changed since the last flush
    //   5 Clean, flushed · 7 dirty (listed for the checkpoint), flushed.
    // "Pending" (changed since the last flush) is 1 or 3. A flush (TakeChanges) visits the pending slots
    // and sets their Flushed bit; MarkClean clears the dirty bit only (3 → 1, 7 → 5), so the two tracks
    // are independent. A fold's direct hit still needs exactly Dirty (3): the first write to a flushed
    // slot takes the slow path (GetValueRefOrAdd, TurnDirty), which lists it in the changed list; from
    // then on it is a hit again until the next flush. The changed list holds every slot that turned
    // pending since the last flush (each once); past its capacity (a quarter of the slots, as the dirty
    // list), or when a removal or a move makes an index stale, it "overflows" and the flush scans the
    // control bytes instead, once: every flush starts a new list. A table that does not track keeps an
    // empty list, always overflowed, and never sets Flushed: its only cost is a store per new key.
    private int[] _changedSlots = [];
    private int _changedCount;
    private bool _changedOverflow = true;

    /// <summary>
    /// Starts tracking the entries changed since the last flush (<see cref="TakeChanges"/>), for a change
    /// sink; the entries held now count as changed. Allocates the changed list (a quarter of the slots).
    /// </summary>
    internal void TrackChanges()
    {
        if (_changedSlots.Length != 0) return;
        _changedSlots = new int[DirtyListCapacity(Slots)];
        _changedCount = 0;
        _changedOverflow = _count > 0;   // what is held now is pending: the first flush scans for it
    }

    /// <summary>True when the table tracks changes for a change sink (<see cref="TrackChanges"/>).</summary>
    internal bool TracksChanges => _changedSlots.Length != 0;

    /// <summary>
    /// Enumerates the entries changed since the last flush, each once, marking each flushed as it is
    /// reached; reaching the end starts a new flush period. The table must not change meanwhile. Only
    /// for a table that tracks changes (<see cref="TrackChanges"/>).
    /// </summary>
    internal ChangeEnumerator TakeChanges() => new(this);

    /// <summary>Records that <paramref name="slot"/> turned pending (changed since the last flush).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AppendChanged(int slot) => AppendSlot(_changedSlots, ref _changedCount, ref _changedOverflow, slot);

    /// <summary>A slot holding <paramref name="control"/> empties or moves: its index in the lists goes stale.</summary>
    private void NoteStaleSlot(byte control)
    {
        if ((control & Dirty) == Dirty) _dirtyOverflow = true;
        if (control is Clean or Dirty) _changedOverflow = true;
    }

    /// <summary>Lists a slot just given <paramref name="control"/> (nonzero) by an insert of a key known to be absent.</summary>
    private void NoteInserted(byte control, int slot)
    {
        if ((control & Dirty) == Dirty) AppendDirty(slot);
        if ((control & Flushed) == 0) AppendChanged(slot);
    }

    /// <summary>Empties the changed list for new slot arrays of <paramref name="slots"/> slots (reallocated when tracking).</summary>
    private void ResetChangedList(int slots)
    {
        if (_changedSlots.Length != 0) _changedSlots = new int[DirtyListCapacity(slots)];
        _changedCount = 0;
        _changedOverflow = _changedSlots.Length == 0;
    }

    /// <summary>The end of a flush: every pending slot is flushed now, the list starts again.</summary>
    private void EndFlush()
    {
        _changedCount = 0;
        _changedOverflow = _changedSlots.Length == 0;
    }

    /// <summary>
    /// The entries changed since the last flush (see <see cref="TakeChanges"/>): from the changed list, or a scan
    /// of the control bytes when it overflowed. Each entry is marked flushed when reached.
    /// </summary>
    internal ref struct ChangeEnumerator
    {
        private readonly StateTable<TKey, TState, THasher> _table;
        private readonly byte[] _control;
        private readonly int[]? _list;   // null: scan
        private readonly int _listCount;
        private int _position;
        private int _index;

        internal ChangeEnumerator(StateTable<TKey, TState, THasher> table)
        {
            _table = table;
            _control = table._control;
            _position = -1;
            _index = -1;
            if (!table._changedOverflow)
            {
                _list = table._changedSlots;
                _listCount = table._changedCount;
            }
        }

        /// <summary>The current entry (changed since the last flush; now marked flushed).</summary>
        public readonly ref StateEntry<TKey, TState> Current => ref _table.EntryAt(_index);

        /// <summary>Moves to the next changed entry and marks it flushed; at the end, starts a new flush period.</summary>
        public bool MoveNext()
        {
            var control = _control;
            if (_list is not null)
            {
                var list = _list;
                var p = _position;
                while (++p < _listCount)
                {
                    var slot = list[p];
                    var c = control[slot];
                    // A slot listed once may have been flushed since (a flush cut short by a sink's exception,
                    // or an entry re-added flushed): skip it.
                    if (c is not (Clean or Dirty)) continue;
                    control[slot] = (byte)(c | Flushed);
                    _position = p;
                    _index = slot;
                    return true;
                }
                _position = p;
            }
            else
            {
                var i = _index + 1;
                while ((uint)i < (uint)control.Length && control[i] is not (Clean or Dirty)) i++;
                if (i < control.Length)
                {
                    control[i] = (byte)(control[i] | Flushed);
                    _index = i;
                    return true;
                }
                _index = i;
            }
            _table.EndFlush();
            return false;
        }

        /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
        public readonly ChangeEnumerator GetEnumerator() => this;
    }
}
