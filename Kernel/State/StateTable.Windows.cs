using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Kernel.State;

/// <summary>
/// How <see cref="StateTable{TKey, TState, THasher}.TryMergeDirect{TMerge}"/> combines one source entry's
/// state into the target's (a struct, so the JIT specializes and inlines it into the merge loop).
/// </summary>
internal interface ISlotMerge<TState>
    where TState : unmanaged
{
    /// <summary>Folds <paramref name="from"/> into <paramref name="into"/>; <paramref name="added"/>: <paramref name="into"/> was just added (zeroed, not initialized).</summary>
    static abstract void Merge(ref TState into, in TState from, bool added);
}

// Additions for the windowed aggregator, which empties and reuses pooled tables all the time (a pane,
// a fired window and the sliding two-stacks tables each go back to the pool when done).
public sealed partial class StateTable<TKey, TState, THasher>
{
    /// <summary>
    /// Empties the table like <see cref="Clear"/>, keeping its capacity, for a table about to be reused.
    /// In direct mode only the control bytes are cleared: no operation reads the entry of an empty slot
    /// there (a lookup checks the control byte, an add writes the key and a zeroed state, a rehash copies
    /// occupied slots into new arrays), so the stale entries are never seen. That saves writing the whole
    /// entry array per reuse (for the sliding <c>windows</c> case, 2,048 slots of 96 bytes per table,
    /// several tables per fire). A hashed table is cleared whole: its lookups rely on empty slots
    /// holding a zeroed key.
    /// </summary>
    /// <remarks>Resets the same bookkeeping as <see cref="Clear"/> (count, removals, the dirty list, max index, the cleared flag).</remarks>
    internal void ClearForReuse()
    {
        if (!(MayDirect && _direct))
        {
            Clear();
            return;
        }
        if (_count == 0 && _removedCount == 0) return;
        Array.Clear(_control);
        ResetAfterClear();
    }

    /// <summary>
    /// Merges every entry of <paramref name="from"/> into this table slot by slot, when both are in direct
    /// mode: key k sits in slot k of both, so the merge walks the two arrays side by side (skipping empty
    /// control bytes eight at a time) with no hash and no probe. A key this table lacks is added (zeroed,
    /// <typeparamref name="TMerge"/> told so); every merged slot ends Dirty and listed, as
    /// <see cref="GetValueRefOrAdd"/> leaves it. When this table has fewer slots than
    /// <paramref name="from"/>, it first grows (direct) to the same count: <paramref name="from"/> already
    /// holds a direct table that size. Returns false, doing nothing, when either table is hashed.
    /// </summary>
    internal bool TryMergeDirect<TMerge>(StateTable<TKey, TState, THasher> from)
        where TMerge : struct, ISlotMerge<TState>
    {
        if (!(MayDirect && _direct && from._direct)) return false;
        if (from._count == 0) return true;
        if (_mask < from._mask) Rehash(from._mask + 1, direct: true);
        var slots = from._mask + 1;
        ref var fromControl = ref MemoryMarshal.GetArrayDataReference(from._control);
        ref var fromEntries = ref MemoryMarshal.GetArrayDataReference(from._entries);
        ref var control = ref MemoryMarshal.GetArrayDataReference(_control);
        ref var entries = ref MemoryMarshal.GetArrayDataReference(_entries);
        var count = _count;
        // slots is a power of two ≥ 16: whole groups of eight control bytes.
        for (var g = 0; g < slots; g += 8)
        {
            var occupied = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref fromControl, g));
            while (occupied != 0)
            {
                // The lowest non-empty byte of the group.
                var i = g + (BitOperations.TrailingZeroCount(occupied) >> 3);
                occupied &= ~(0xFFUL << ((i - g) << 3));
                ref var source = ref Unsafe.Add(ref fromEntries, i);
                ref var c = ref Unsafe.Add(ref control, i);
                ref var target = ref Unsafe.Add(ref entries, i);
                var added = c == Empty;
                if (added)
                {
                    count++;
                    target.Key = source.Key;
                    target.State = default;
                }
                if (c != Dirty)
                {
                    c = Dirty;
                    AppendDirty(i);
                }
                TMerge.Merge(ref target.State, in source.State, added);
            }
        }
        _count = count;
        return true;
    }

    /// <summary>
    /// The arrays of a direct-mode table for the windowed operator's fold loop, as of when
    /// <see cref="TryOpenWindowView"/> returned it: like <see cref="DirectView"/>, and it may also add a key
    /// (<see cref="TryAdd"/>) into its free slot without leaving the loop. Adds are counted by the caller and
    /// handed back with <see cref="CommitWindowAdds"/> before anything else touches the table. Valid until
    /// then, and until the next add, growth or removal through the table.
    /// </summary>
    internal ref struct WindowView
    {
        private readonly ref byte _control;
        private readonly ref StateEntry<TKey, TState> _entries;
        private readonly ulong _last;

        internal WindowView(ref byte control, ref StateEntry<TKey, TState> entries, ulong last)
        {
            _control = ref control;
            _entries = ref entries;
            _last = last;
        }

        /// <summary>True when <paramref name="index"/> is a key held and Dirty (see <see cref="DirectView.IsHit"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool IsHit(ulong index) => index <= _last && Unsafe.Add(ref _control, (nint)index) == Dirty;

        /// <summary>
        /// Adds the key of <paramref name="index"/> (which must be <see cref="DirectIndexOf"/> of
        /// <paramref name="key"/>) when its slot is inside the table and empty: the slot turns Dirty and
        /// holds the key and a zeroed state, which the caller initializes. False, doing nothing, when the
        /// slot is outside or taken (a Clean key: the general path lists it dirty). The caller counts the
        /// adds for <see cref="CommitWindowAdds"/>; the table's dirty list was switched to scanning by
        /// <see cref="TryOpenWindowView"/>, so nothing is appended to it here.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool TryAdd(ulong index, in TKey key)
        {
            if (index > _last) return false;
            ref var c = ref Unsafe.Add(ref _control, (nint)index);
            if (c != Empty) return false;
            c = Dirty;
            ref var entry = ref Unsafe.Add(ref _entries, (nint)index);
            entry.Key = key;
            entry.State = default;
            return true;
        }

        /// <summary>The state at <paramref name="index"/>; only for an index <see cref="IsHit"/> or <see cref="TryAdd"/> accepted (unchecked).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly ref TState StateAt(ulong index) => ref Unsafe.Add(ref _entries, (nint)index).State;

        /// <summary>A prefetch hint for the state of <paramref name="index"/>, in range or not (see <see cref="DirectView.PrefetchAny"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly unsafe void PrefetchAny(ulong index)
        {
            if (!Sse.IsSupported) return;
            var p = (byte*)Unsafe.AsPointer(ref _entries) + index * (ulong)Unsafe.SizeOf<StateEntry<TKey, TState>>() + s_stateOffset;
            PrefetchLines(p, Unsafe.SizeOf<TState>());
        }
    }

    /// <summary>
    /// A <see cref="WindowView"/> of the table when it is in direct mode; false otherwise. Keys the view
    /// adds are not appended to the dirty list: <see cref="CommitWindowAdds"/> then switches the table to
    /// finding its dirty slots by scanning the control bytes (as after a list overflow) until the next
    /// <see cref="MarkClean"/>, an incremental capture costing one pass over the control bytes (at most 8
    /// per key held, direct mode's bound) instead of the list. A pane's table takes every key anew per
    /// window, so its list would hold every key anyway. A view that added nothing leaves the list in use:
    /// a large window whose keys are all held (a checkpoint of 10,000 changed keys among a million) must
    /// not scan a million slots' control bytes at every barrier.
    /// </summary>
    internal bool TryOpenWindowView(out WindowView view)
    {
        if (MayDirect && _direct)
        {
            view = new WindowView(ref MemoryMarshal.GetArrayDataReference(_control), ref MemoryMarshal.GetArrayDataReference(_entries), (ulong)(uint)_mask);
            return true;
        }
        view = default;
        return false;
    }

    /// <summary>
    /// Counts the <paramref name="added"/> keys a <see cref="WindowView"/> of this table added and, when there
    /// were any, makes the table find its dirty slots by scanning (they are not in the list).
    /// </summary>
    internal void CommitWindowAdds(int added)
    {
        if (added == 0) return;
        _count += added;
        _dirtyOverflow = true;
    }
}
