using System.Runtime.CompilerServices;

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
