namespace Kernel.State;

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
}
