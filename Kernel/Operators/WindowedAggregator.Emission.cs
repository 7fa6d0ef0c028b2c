using System.Runtime.CompilerServices;
using Kernel.State;

namespace Kernel.Operators;

// The final rows of a window being released (ReleaseFirstFired) or fired from the sliding stacks: every
// key's row. A tumbling `daily` window emits 10,000 rows a day (windows suite), so the per-row path is
// kept short: no write to the slot, one revision built per window, and in direct mode a walk of the
// control bytes.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private long _directReleases;

    /// <summary>Released windows whose final rows were emitted by the direct-mode walk (<see cref="EmitFinalRows"/>); for tests.</summary>
    internal long DirectReleases => _directReleases;

    /// <summary>
    /// Emits the final row of every key <paramref name="window"/>'s table holds (not its spilled keys), for a
    /// window that has just been removed from the fired list and goes back to the pool right after. A direct
    /// table is walked slot by slot (<c>TryVisitMergedDirect</c>, as the sliding fires walk theirs).
    /// </summary>
    /// <remarks>
    /// Unlike <see cref="Emit"/>, leaves each slot's revision and changed flag as they were: the window is in no
    /// list any more (no snapshot, query, periodic tick or spill sees it), and the next user of its table writes
    /// every slot it takes (priming or an add; a hashed table is cleared whole) before reading it.
    /// </remarks>
    private void EmitFinalRows(WindowBucket<TKey, TState, Hasher> window)
    {
        var visitor = new ReleasedRows(this, window.Start, window.End, new RowRevision(window.Start, window.End, 0, true, _watermark));
        if (window.Table.TryVisitMergedDirect<SlotMerge, ReleasedRows>(null, ref visitor))
        {
            _directReleases++;
            return;
        }
        foreach (ref var entry in window.Table) visitor.Visit(entry.Key, entry.State);
    }

    /// <summary>Emits each visited (key, slot) as the final row of one window (<see cref="EmitFinalRows"/>, <see cref="TryEmitMergedWindow"/>).</summary>
    private readonly struct ReleasedRows(WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> owner, long start, long end, RowRevision first) : ISlotVisitor<TKey, WindowSlot<TState>>
    {
        public void Visit(in TKey key, in WindowSlot<TState> state) => owner.EmitReleased(key, state, start, end, first);
    }

    /// <summary>
    /// A window's final row from a slot no table keeps (<see cref="Emit"/> without the slot's bookkeeping). The rows
    /// of one window share <paramref name="first"/> (revision 0, final); a key that already emitted revisions
    /// (OnWindowClose with lateness, Periodic, EveryUpdate) gets a copy with its own next number.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EmitReleased(in TKey key, in WindowSlot<TState> slot, long start, long end, in RowRevision first)
    {
        TSpec.ToRow(key, slot.Agg, start, end, out var row);
        if (TSpec.HasSideState) TSpec.SideToRow(_side!, slot.Agg, ref row);   // [side-state]
        _rowsEmitted++;
        if (slot.Revision == 0) _sink.OnRow(row, first);
        else EmitRevised(_sink, row, slot.Revision, in first);
    }

    /// <summary>A released row whose key already emitted revisions: the same revision but for its number.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EmitRevised(IRowSink<TRow> sink, in TRow row, int revision, in RowRevision first)
        => sink.OnRow(row, first with { Revision = revision });
}
