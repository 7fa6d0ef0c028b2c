using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.State;

namespace Kernel.Operators;

// The final rows of a window being released (ReleaseFirstFired): every key's row, then the table goes back
// to the pool. A tumbling `daily` window emits 10,000 rows a day (windows suite), so the per-row path is
// kept short: no write to the slot, one revision built per window, and in direct mode a walk of the
// control bytes with the key taken from the slot index.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private long _directReleases;

    /// <summary>Windows whose final rows were emitted by the direct-mode walk (<see cref="EmitFinalRowsDirect"/>); for tests.</summary>
    internal long DirectReleases => _directReleases;

    /// <summary>
    /// Emits the final row of every key <paramref name="window"/>'s table holds (not its spilled keys), for a
    /// window that has just been removed from the fired list and goes back to the pool right after.
    /// </summary>
    /// <remarks>
    /// Unlike <see cref="Emit"/>, leaves each slot's revision and changed flag as they were: the window is in no
    /// list any more (no snapshot, query, periodic tick or spill sees it), and the next user of its table writes
    /// every slot it takes (priming or an add; a hashed table is cleared whole) before reading it. The rows share
    /// one <see cref="RowRevision"/> (revision 0, final); a key that already emitted revisions (OnWindowClose with
    /// lateness, Periodic, EveryUpdate) gets a copy with its own next number.
    /// </remarks>
    private void EmitFinalRows(WindowBucket<TKey, TState, Hasher> window)
    {
        var start = window.Start;
        var end = window.End;
        var first = new RowRevision(start, end, 0, true, _watermark);
        var table = window.Table;
        long rows = 0;
        if (table.TryGetDirectEntries(out var control, out var entries))
        {
            rows = EmitFinalRowsDirect(control, ref entries.First, start, end, in first);
            _directReleases++;
        }
        else
        {
            var sink = _sink;
            foreach (ref var entry in table)
            {
                EmitFinalRow(sink, entry.Key, in entry.State, start, end, in first);
                rows++;
            }
        }
        _rowsEmitted += rows;
    }

    /// <summary>
    /// The direct-mode walk of <see cref="EmitFinalRows"/>: groups of eight control bytes, an occupied slot's key
    /// is its index (so the key's bytes are not read). Returns the rows emitted.
    /// </summary>
    private long EmitFinalRowsDirect(byte[] control, ref StateEntry<TKey, WindowSlot<TState>> e0, long start, long end, in RowRevision first)
    {
        var sink = _sink;
        long rows = 0;
        ref var c0 = ref MemoryMarshal.GetArrayDataReference(control);
        var slots = control.Length;   // a power of two ≥ 16 (StateTable.MinSlots): whole groups of eight
        for (var g = 0; g < slots; g += 8)
        {
            var occupied = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref c0, g));
            while (occupied != 0)
            {
                var shift = BitOperations.TrailingZeroCount(occupied) & ~7;
                occupied &= ~(0xFFUL << shift);
                var i = g + (shift >> 3);
                ref var slot = ref StateTable<TKey, WindowSlot<TState>, Hasher>.DirectEntry(ref e0, i).State;
                EmitFinalRow(sink, KeyOfIndex(i), in slot, start, end, in first);
                rows++;
            }
        }
        return rows;
    }

    /// <summary>One final row of a released window (see <see cref="EmitFinalRows"/>); the slot is not written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EmitFinalRow(IRowSink<TRow> sink, in TKey key, in WindowSlot<TState> slot, long start, long end, in RowRevision first)
    {
        TSpec.ToRow(key, slot.Agg, start, end, out var row);
        if (TSpec.HasSideState) TSpec.SideToRow(_side!, slot.Agg, ref row);   // [side-state]
        if (slot.Revision == 0) sink.OnRow(row, first);
        else EmitRevised(sink, row, slot.Revision, in first);
    }

    /// <summary>A released row whose key already emitted revisions: the same revision but for its number.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EmitRevised(IRowSink<TRow> sink, in TRow row, int revision, in RowRevision first)
        => sink.OnRow(row, first with { Revision = revision });
}
