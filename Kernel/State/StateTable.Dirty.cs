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
    private unsafe void PrefetchSlot(int slot)
    {
        if (!Sse.IsSupported || (uint)slot > (uint)_mask) return;
        var p = (byte*)Unsafe.AsPointer(ref EntryAt(slot));
        Sse.Prefetch0(p);
        if (Unsafe.SizeOf<StateEntry<TKey, TState>>() > 1) Sse.Prefetch0(p + Unsafe.SizeOf<StateEntry<TKey, TState>>() - 1);
    }

    /// <summary>Records that <paramref name="slot"/> just turned Dirty (its control byte was not Dirty before).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AppendDirty(int slot)
    {
        var n = _dirtyCount;
        var list = _dirtySlots;
        if ((uint)n < (uint)list.Length)
        {
            list[n] = slot;
            _dirtyCount = n + 1;
        }
        else
        {
            _dirtyOverflow = true;
        }
    }

    /// <summary>Marks an occupied slot dirty (an entry changed through a reference the table did not hand out for writing).</summary>
    private void MarkSlotDirty(int slot)
    {
        ref var c = ref _control[slot];
        if (c == Dirty || c == Empty) return;
        c = Dirty;
        AppendDirty(slot);
    }
}
