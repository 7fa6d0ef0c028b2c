using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Kernel.State;

// The direct-mode fast path of a fold loop. A fold over a batch reads the table's arrays and mask
// once into a DirectView instead of once per event (the per-event lookup reloads them from the table
// object, since every write through a state reference may, for all the JIT knows, have changed them),
// and a hit is: a compare with the last slot, the control byte, the entry. Anything else (a key not yet
// held or clean since the last MarkClean, a key outside the slots) goes through GetValueRefOrAdd, after which the caller takes a new view.
public sealed partial class StateTable<TKey, TState, THasher>
{
    /// <summary>
    /// The arrays of a table in direct mode, as of when <see cref="TryGetDirectView"/> returned it: valid
    /// until the next add, growth or removal (which may reallocate the arrays or leave direct mode).
    /// </summary>
    internal ref struct DirectView
    {
        private readonly ref byte _control;

        // The state of slot 0 (not the entry): slot i's state is DirectStride × i bytes further (the entry's
        // size, or 128 when lined), so a state's address is one multiply (or shift) and one add, with no
        // offset of the state in its entry added per event.
        private readonly ref TState _states;
        private readonly ulong _last;
        private readonly ulong _primed;

        internal DirectView(ref byte control, ref StateEntry<TKey, TState> entries, ulong last, ulong primed)
        {
            _control = ref control;
            _states = ref entries.State;
            _last = last;
            _primed = primed;
        }

        /// <summary>The byte offset of slot <paramref name="index"/>'s entry (and of its state from slot 0's state).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static nint OffsetOf(ulong index) => DirectOffsetOf(index);

        /// <summary>
        /// The slots below this index that are primed (see <see cref="EnablePriming"/>): an empty one holds its
        /// key and the primed state, so <see cref="TryClaimPrimed"/> takes it. 0 for a table that does not prime.
        /// </summary>
        public readonly ulong Primed
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => _primed;
        }

        /// <summary>
        /// Takes the primed slot <paramref name="index"/> (below <see cref="Primed"/>, unchecked) for a write:
        /// a held dirty key as <see cref="IsHit"/> does, an empty slot as an add whose key and initialized
        /// state are already there, counted into <paramref name="adds"/> (handed to <see cref="CommitWindowAdds"/>
        /// as <see cref="TryAdd"/>'s are). Without a branch on which of the two it is: a pane takes every key
        /// anew, and for one-minute panes (1 event in 14 a key's first) that branch was mispredicted about as
        /// often as it was taken. False, doing nothing, for a clean key (the general path lists it dirty).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool TryClaimPrimed(ulong index, ref int adds)
        {
            ref var c = ref Unsafe.Add(ref _control, (nint)index);
            var v = c;
            if (v == Clean) return false;
            adds += (int)((uint)(v - 1) >> 31);   // Empty (0) counts 1, Dirty (3) 0
            c = Dirty;
            return true;
        }

        /// <summary>
        /// <see cref="TryClaimPrimed"/>'s test alone, for a loop that folds into the slot first and then marks it
        /// (<see cref="MarkPrimedDirty"/>): false for a clean key (the general path lists it dirty). Writes
        /// nothing: a store into the control array before the fold made the JIT load the event's fields again
        /// (for all it knows the store changed them).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool TryPeekPrimed(ulong index) => Unsafe.Add(ref _control, (nint)index) != Clean;

        /// <summary>
        /// <see cref="TryClaimPrimed"/>'s write without counting the add, after <see cref="TryPeekPrimed"/>: for a
        /// loop whose caller counts the primed slots held before and after it instead (<c>CountPrimedHeld</c>),
        /// one pass over the control bytes per batch instead of three instructions per event.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void MarkPrimedDirty(ulong index) => Unsafe.Add(ref _control, (nint)index) = Dirty;

        /// <summary>
        /// True when <paramref name="index"/> (the key as an unsigned integer, <see cref="DirectIndexOf"/>)
        /// is a key already held and already dirty, whose state <see cref="StateAt"/> then returns. False
        /// when the key is not held, is clean (not written since the last <see cref="MarkClean"/>) or lies
        /// outside the slots: the caller then goes through <see cref="GetValueRefOrAdd"/>, which adds it or
        /// marks and lists it dirty.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool IsHit(ulong index)
            // Only a slot already Dirty is a hit here: a clean one must also be appended to the table's
            // dirty list (incremental checkpoints read it), which GetValueRefOrAdd does, so the caller's
            // slow path takes it — once per key between two MarkCleans. The read is safe unchecked: the
            // control array has _last + 1 elements and index <= _last.
            => index <= _last && Unsafe.Add(ref _control, (nint)index) == Dirty;

        /// <summary>
        /// Adds the key of <paramref name="index"/> (which must be <see cref="DirectIndexOf"/> of
        /// <paramref name="key"/>) when its slot is inside the table and empty, without leaving a fold loop:
        /// the slot turns Dirty and holds the key and a zeroed state, which the caller initializes. False,
        /// doing nothing, when the slot is outside or taken (a clean key: the general path lists it dirty).
        /// The add is not counted nor listed dirty here: the caller counts its adds and hands the count to
        /// <see cref="CommitWindowAdds"/> before anything else touches the table. The view stays valid (no
        /// array moves).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool TryAdd(ulong index, in TKey key)
        {
            if (index > _last) return false;
            ref var c = ref Unsafe.Add(ref _control, (nint)index);
            if (c != Empty) return false;
            c = Dirty;
            ref var state = ref StateAt(index);
            Unsafe.As<TState, TKey>(ref Unsafe.SubtractByteOffset(ref state, s_stateOffset)) = key;   // the entry's key
            state = default;
            return true;
        }

        /// <summary>The state at <paramref name="index"/>; only for an index <see cref="IsHit"/> or <see cref="TryAdd"/> accepted (unchecked).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly ref TState StateAt(ulong index) => ref Unsafe.AddByteOffset(ref _states, OffsetOf(index));

        /// <summary>Hints the CPU to load the state of <paramref name="index"/> (see <see cref="Prefetch"/>); nothing outside the slots.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly unsafe void Prefetch(ulong index)
        {
            if (!Sse.IsSupported || index > _last) return;
            PrefetchState((byte*)Unsafe.AsPointer(ref _states) + OffsetOf(index));
        }

        /// <summary>
        /// The address of slot 0's state as a raw number, for <see cref="PrefetchAt"/>: a loop takes it once
        /// instead of turning the view's reference into a pointer for every hint (a register copy per event).
        /// Only an address to hint: should the GC move the array meanwhile, the hints are merely wasted.
        /// </summary>
        public readonly unsafe nuint PrefetchBase
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => (nuint)Unsafe.AsPointer(ref _states);
        }

        /// <summary>
        /// <see cref="Prefetch"/> without the range test, from a <see cref="PrefetchBase"/> taken before the
        /// loop, for a loop that prefetches every event: hints the lines of the state of <paramref name="index"/>,
        /// any index (outside the slots, a key the table does not hold directly, it hints a useless address).
        /// Safe: the address is a raw pointer, never a managed reference, and a prefetch never faults nor
        /// changes memory; should the GC move the array meanwhile, the hint is merely wasted.
        /// </summary>
        /// <remarks>
        /// Lined (see <see cref="LinedEntries"/>), only the state's first line, which holds everything a fold
        /// reads per event. Otherwise only the state's lines are asked for: a direct hit reads the control byte (its own small array)
        /// and the state, never the key. An entry wider than a cache line straddles two or three lines
        /// depending on where the GC put the array; hinting the entry's first and last byte (as before)
        /// left the middle line of one entry in four unrequested in half of the placements, and the
        /// operator's speed then depended on the allocation address of its table.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void PrefetchAt(nuint prefetchBase, ulong index)
        {
            if (!Sse.IsSupported) return;
            PrefetchState((byte*)prefetchBase + OffsetOf(index));
        }

        /// <summary>
        /// <see cref="PrefetchAt"/> for the state's first <paramref name="size"/> bytes only (a JIT-time
        /// constant, at most the state's size): for a loop that reads only the head of its state. A window
        /// slot's loop reads its aggregate, never the revision and flag behind it; hinting the whole slot
        /// asked for a third line per event (an 80-byte slot) where the aggregate's 72 bytes, 8-byte
        /// aligned, never span more than two. Lined (see <see cref="LinedEntries"/>), the state's first line
        /// alone, which holds every field a fold reads per event.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void PrefetchAnyHeadAt(nuint prefetchBase, ulong index, int size)
        {
            if (!Sse.IsSupported) return;
            var state = (byte*)prefetchBase + OffsetOf(index);
            if (s_lined) PrefetchState(state);   // the hot line holds the head a fold reads
            else PrefetchLines(state, Math.Min(size, Unsafe.SizeOf<TState>()));
        }
    }

    /// <summary>True when the key type and hasher allow direct mode (a JIT-time constant); see <see cref="IsDirect"/>.</summary>
    internal static bool SupportsDirect => MayDirect;

    /// <summary>A key as the unsigned slot index direct mode stores it at (a negative key is huge, so never in range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong DirectIndexOf(in TKey key) => IndexOf(key);

    /// <summary>The table's arrays for a fold loop when it is in direct mode; false (and an empty view) otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryGetDirectView(out DirectView view)
    {
        if (MayDirect && _direct)
        {
            view = new DirectView(ref MemoryMarshal.GetArrayDataReference(_control), ref DirectEntries(), (ulong)(uint)_mask, (ulong)(uint)_primed);
            return true;
        }
        view = default;
        return false;
    }
}
