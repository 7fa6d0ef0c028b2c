using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

/// <summary>
/// What <see cref="StateTable{TKey, TState, THasher}.TryVisitMergedDirect{TMerge, TVisitor}"/> hands each
/// merged entry to (a struct, so the JIT specializes the walk for it).
/// </summary>
internal interface ISlotVisitor<TKey, TState>
    where TState : unmanaged
{
    /// <summary>One key of the merge and its merged state (a copy: neither table holds it).</summary>
    void Visit(in TKey key, in TState state);
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
    /// <remarks>
    /// Resets the same bookkeeping as <see cref="Clear"/> (count, removals, the dirty list, max index, the cleared flag).
    /// A priming table leaves the priming of the slots its keys took to <see cref="PrimeDeferred"/> (its next
    /// user calls it just before the table is written again) and holds no primed slot until then.
    /// </remarks>
    internal void ClearForReuse()
    {
        if (!(MayDirect && _direct))
        {
            Clear();
            return;
        }
        if (_count == 0 && _removedCount == 0) return;
        if (_primes)
        {
            // Every slot a key took since the last priming holds its state now: prime up to the last one,
            // unless the keys were sparse in that range (priming writes every slot, the adds it saves one
            // entry per key): then nothing is primed and the next keys take the unprimed path.
            var used = _control.AsSpan().LastIndexOfAnyExcept((byte)Empty) + 1;
            if (used <= 2 * _count + SparsePrimeSlack)
            {
                _deferredPrime = used;
                _deferredPrimed = Math.Max(used, _primed);
                _deferredControl = _control;
                _primed = 0;
            }
            else _primed = 0;
        }
        Array.Clear(_control);
        ResetAfterClear();
    }

    // A priming left to PrimeDeferred by ClearForReuse: the slots to write, the primed range
    // once written, and the control array they belong to (new arrays since then hold no primed slot).
    private int _deferredPrime;
    private int _deferredPrimed;
    private byte[]? _deferredControl;

    /// <summary>
    /// Writes the priming a <see cref="ClearForReuse"/> left pending, if the table is
    /// still empty with the same arrays (otherwise drops it: the slots stay unprimed); nothing when none is pending.
    /// </summary>
    /// <remarks>
    /// For a windowed aggregator's pooled tables, called when a table is rented again. Priming at the return
    /// wrote a day's table a day before its next use (<c>windows</c> suite: two tables alternate by day), by
    /// which time the day's 19 MB of events had pushed its lines out of the caches, so each key's first event
    /// of the next day found them in memory. Primed when rented, the same writes run in slot order just before
    /// the day's first events, which find the lines in L2 or L3.
    /// </remarks>
    internal void PrimeDeferred()
    {
        var n = _deferredPrime;
        if (n == 0) return;
        var control = _deferredControl;
        _deferredPrime = 0;
        _deferredControl = null;
        if (!(MayDirect && _direct) || _count != 0 || _removedCount != 0 || !ReferenceEquals(control, _control) || n > _mask + 1) return;
        Prime(n);
        _primed = _deferredPrimed;
    }

    // Priming (a windowed aggregator's pooled tables): slots below _primed that are empty hold their own key
    // and _primeState, the initialized state of a key's first event, so that a fold can take a key new to
    // the table with the same steps as one it holds (DirectView.TryClaimPrimed). Any operation that writes
    // an empty slot otherwise (removal) or replaces the arrays (growth, eviction, Clear) lowers _primed.
    private TState _primeState;
    private bool _primes;
    private int _primed;

    // Slots primed at a reuse beyond twice the keys cleared (small tables always prime again).
    private const int SparsePrimeSlack = 1_024;

    /// <summary>
    /// Makes this empty direct table prime its slots with <paramref name="state"/> (see
    /// <see cref="DirectView.TryClaimPrimed"/>): now the first <paramref name="slots"/> of them (at most the
    /// table's), and at every <see cref="ClearForReuse"/> those the cleared keys took. Does nothing for a
    /// hashed or non-empty table.
    /// </summary>
    internal void EnablePriming(in TState state, int slots)
    {
        if (!(MayDirect && _direct) || _count != 0) return;
        _primeState = state;
        _primes = true;
        var n = Math.Min(slots, _mask + 1);
        Prime(n);
        if (n > _primed) _primed = n;
    }

    /// <summary>Writes key i and the primed state into slots 0..<paramref name="slots"/>−1 (all empty, or about to be).</summary>
    private void Prime(int slots)
    {
        Debug.Assert(MayDirect && _direct && slots <= _mask + 1, "priming writes direct slots");
        var state = _primeState;
        ref var entries = ref DirectEntries();
        for (var i = 0; i < slots; i++)
        {
            ref var entry = ref DirectEntry(ref entries, i);
            entry.Key = KeyOfIndex(i);
            entry.State = state;
        }
    }

    /// <summary>The integer key direct mode keeps in slot <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TKey KeyOfIndex(int index)
    {
        if (typeof(TKey) == typeof(long))
        {
            var k = (long)index;
            return Unsafe.As<long, TKey>(ref k);
        }
        Debug.Assert(typeof(TKey) == typeof(int), "direct mode holds long or int keys");
        return Unsafe.As<int, TKey>(ref index);
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
        ref var fromEntries = ref from.DirectEntries();
        ref var control = ref MemoryMarshal.GetArrayDataReference(_control);
        ref var entries = ref DirectEntries();
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
                ref var source = ref DirectEntry(ref fromEntries, i);
                ref var c = ref Unsafe.Add(ref control, i);
                ref var target = ref DirectEntry(ref entries, i);
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
    /// Visits, slot by slot, every key of this table merged with <paramref name="newer"/> (null: this
    /// table alone), without writing either: the merged state of a key both hold is this table's state
    /// with <paramref name="newer"/>'s merged in (<typeparamref name="TMerge"/>, <c>added</c> false); a key
    /// only <paramref name="newer"/> holds is <typeparamref name="TMerge"/> of a zeroed state (<c>added</c>
    /// true), as <see cref="TryMergeDirect{TMerge}"/> would have left it in this table. Keys come in slot
    /// order (the order an enumeration of the merged table would give). Returns false, visiting nothing,
    /// unless both tables are direct with the same slot count.
    /// </summary>
    internal bool TryVisitMergedDirect<TMerge, TVisitor>(StateTable<TKey, TState, THasher>? newer, ref TVisitor visitor)
        where TMerge : struct, ISlotMerge<TState>
        where TVisitor : struct, ISlotVisitor<TKey, TState>
    {
        if (!(MayDirect && _direct)) return false;
        if (newer is not null && !(newer._direct && newer._mask == _mask)) return false;
        var slots = _mask + 1;
        ref var control = ref MemoryMarshal.GetArrayDataReference(_control);
        ref var entries = ref DirectEntries();
        // Without a newer table, its control bytes are read as this table's own, masked out below.
        var other = newer ?? this;
        ref var newerControl = ref MemoryMarshal.GetArrayDataReference(other._control);
        ref var newerEntries = ref other.DirectEntries();
        var useNewer = newer is null ? 0UL : ulong.MaxValue;
        // slots is a power of two ≥ 16: whole groups of eight control bytes.
        for (var g = 0; g < slots; g += 8)
        {
            var mine = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref control, g));
            var theirs = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref newerControl, g)) & useNewer;
            var occupied = mine | theirs;
            while (occupied != 0)
            {
                var shift = BitOperations.TrailingZeroCount(occupied) & ~7;
                var lane = 0xFFUL << shift;
                occupied &= ~lane;
                var i = g + (shift >> 3);
                if ((theirs & lane) == 0)
                {
                    ref var entry = ref DirectEntry(ref entries, i);
                    visitor.Visit(in entry.Key, in entry.State);
                    continue;
                }
                ref var source = ref DirectEntry(ref newerEntries, i);
                var added = (mine & lane) == 0;
                var merged = added ? default : DirectEntry(ref entries, i).State;
                TMerge.Merge(ref merged, in source.State, added);
                visitor.Visit(in source.Key, in merged);
            }
        }
        return true;
    }

    /// <summary>
    /// Fills this empty table with <paramref name="first"/> merged with <paramref name="second"/> (null:
    /// <paramref name="first"/> alone) in one pass, slot by slot: what <see cref="TryMergeDirect{TMerge}"/>
    /// of <paramref name="first"/> then of <paramref name="second"/> would leave, with each entry written
    /// once instead of twice (each key added zeroed and merged from <paramref name="first"/>, then from
    /// <paramref name="second"/>, as the two merges would). Every slot ends Dirty and
    /// listed. Returns false, doing nothing, unless this table is empty and all three are direct with the
    /// same slot count.
    /// </summary>
    internal bool TryFillMergedDirect<TMerge>(StateTable<TKey, TState, THasher> first, StateTable<TKey, TState, THasher>? second)
        where TMerge : struct, ISlotMerge<TState>
    {
        if (!(MayDirect && _direct && _count == 0 && first._direct && first._mask == _mask)) return false;
        if (second is not null && !(second._direct && second._mask == _mask)) return false;
        var slots = _mask + 1;
        ref var control = ref MemoryMarshal.GetArrayDataReference(_control);
        ref var entries = ref DirectEntries();
        ref var firstControl = ref MemoryMarshal.GetArrayDataReference(first._control);
        ref var firstEntries = ref first.DirectEntries();
        // Without a second table, the first's control bytes are read again, masked out below.
        var other = second ?? first;
        ref var secondControl = ref MemoryMarshal.GetArrayDataReference(other._control);
        ref var secondEntries = ref other.DirectEntries();
        var useSecond = second is null ? 0UL : ulong.MaxValue;
        var count = 0;
        for (var g = 0; g < slots; g += 8)
        {
            var a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref firstControl, g));
            var b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref secondControl, g)) & useSecond;
            var occupied = a | b;
            while (occupied != 0)
            {
                var shift = BitOperations.TrailingZeroCount(occupied) & ~7;
                var lane = 0xFFUL << shift;
                occupied &= ~lane;
                var i = g + (shift >> 3);
                // Exactly the two merges' steps: added (zeroed) from the first holder, then merged.
                ref var target = ref DirectEntry(ref entries, i);
                target.State = default;
                if ((a & lane) != 0)
                {
                    ref var source = ref DirectEntry(ref firstEntries, i);
                    target.Key = source.Key;
                    TMerge.Merge(ref target.State, in source.State, true);
                    if ((b & lane) != 0) TMerge.Merge(ref target.State, in DirectEntry(ref secondEntries, i).State, false);
                }
                else
                {
                    ref var source = ref DirectEntry(ref secondEntries, i);
                    target.Key = source.Key;
                    TMerge.Merge(ref target.State, in source.State, true);
                }
                Unsafe.Add(ref control, i) = Dirty;
                AppendDirty(i);
                count++;
            }
        }
        _count = count;
        return true;
    }

    /// <summary>
    /// The control bytes of a table in direct mode (key k in slot k, held when its control byte is not 0) and,
    /// in <paramref name="entries"/>, slot 0's entry, from which slot i's is <see cref="DirectEntry"/>(entries, i)
    /// in either layout: for a caller that reads them slot by slot without writing (the windowed aggregator's
    /// dense sliding stacks). False (and a null reference) when the table is hashed. Valid until the next
    /// add, growth or removal.
    /// </summary>
    internal bool TryGetDirectEntries(out byte[] control, out DirectEntriesRef entries)
    {
        control = _control;
        if (!(MayDirect && _direct))
        {
            entries = default;
            return false;
        }
        entries = new DirectEntriesRef(ref DirectEntries());
        return true;
    }

    /// <summary>Slot 0's entry of a direct table (<see cref="TryGetDirectEntries"/>); slot i's is <see cref="DirectEntry"/>(<see cref="First"/>, i).</summary>
    internal readonly ref struct DirectEntriesRef
    {
        /// <summary>Slot 0's entry.</summary>
        public readonly ref StateEntry<TKey, TState> First;

        internal DirectEntriesRef(ref StateEntry<TKey, TState> first) => First = ref first;
    }

    /// <summary>
    /// The number of keys held in the primed slots (the first <see cref="DirectView.Primed"/>), by a pass over
    /// their control bytes: a fold loop that claims primed slots without counting its adds
    /// (<see cref="DirectView.MarkPrimedDirty"/>) counts them as the difference of this before and after it.
    /// </summary>
    internal int CountPrimedHeld() => _primed - _control.AsSpan(0, _primed).Count(Empty);

    /// <summary>
    /// True when a primed slot holds a clean key (one not written since the last <see cref="MarkClean"/>): a fold
    /// loop must then test each primed slot it claims (<see cref="DirectView.TryPeekPrimed"/>); without one, and
    /// until the next <see cref="MarkClean"/>, every primed slot is empty or dirty and a claim is only the write.
    /// </summary>
    internal bool AnyPrimedClean() => _control.AsSpan(0, _primed).Contains(Clean);

    /// <summary>
    /// Counts the <paramref name="added"/> keys a <see cref="DirectView"/> of this table added
    /// (<see cref="DirectView.TryAdd"/>) and, when there were any, makes the table find its dirty slots by
    /// scanning its control bytes until the next <see cref="MarkClean"/> (the adds are not in the dirty
    /// list): an incremental capture then costs one pass over the control bytes (at most 8 per key held,
    /// direct mode's bound). A pane's table takes every key anew per window, so its list would hold every
    /// key anyway; a view that added nothing leaves the list in use, so a large window whose keys are all
    /// held (10,000 changed keys among a million) does not scan a million slots at every barrier.
    /// </summary>
    internal void CommitWindowAdds(int added)
    {
        if (added == 0) return;
        _count += added;
        _dirtyOverflow = true;
    }
}
