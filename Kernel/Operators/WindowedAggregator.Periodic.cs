using System.Runtime.CompilerServices;
using Kernel.Time;

namespace Kernel.Operators;

// Periodic emission for sliding windows whose slide differs from their size (docs/event-time.md).
// Open windows are not materialized: a window's row is the merge of its panes' slots for a key. So:
//   - per event nothing changes: the pane slot is marked Changed, as for any Periodic aggregation.
//     Where an event's pane is looked up (GetOrCreatePane, off the per-event path) the pane is marked
//     Touched; the pane cached for the next events stays Touched across a tick. So a tick only scans
//     panes that can hold a changed slot.
//   - at a tick, for every open window (end − 1 > W) that holds a touched pane, and every key changed
//     in any of its panes, one row: the merge of the window's panes for that key. The earliest pane of
//     the window in which the key changed emits it, so a key changed in two panes of a window makes one
//     row. Fired windows inside their lateness emit their changed rows from their own tables, as tumbling
//     ones do. Then the changed flags of the touched panes are cleared.
//   - the revision of (key, open window) is the number of rows emitted for it so far. No pane can hold
//     it (a window's rows are not a function of its panes' row counts: two panes changed at one tick
//     make one row), so it lives in a revision bucket per open window ([start, end), in _revs, rented
//     from the bucket pool; only Revision of its slots is used). Only ticks touch it.
//   - when the window fires, its revision bucket hands the counts to the fired window's slots and goes
//     back to the pool, and a key changed since the last tick in one of its panes is marked Changed in
//     the fired window: its row is still due at the next tick (or as the final row at release). So
//     memory for revisions is bounded by the open windows, and the final row's revision continues the
//     count. Revision buckets are part of the full snapshot (v3) and of the incremental checkpoint (v2).
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private WindowBucket<TKey, TState, Hasher>[] _revs = new WindowBucket<TKey, TState, Hasher>[8];   // sorted by Start
    private int _revCount;

    /// <summary>The Periodic tick for sliding windows: rows of the open windows whose panes changed (see above).</summary>
    private void EmitChangedSliding()
    {
        long lo = long.MaxValue, hi = long.MinValue;
        for (var i = 0; i < _paneCount; i++)
        {
            var pane = _panes[i];
            if (!pane.Touched) continue;
            var first = SlidingWindows.FirstWindowStart(pane.Start, _size, _slide, _offset);
            var last = TumblingWindows.StartOf(pane.Start, _slide, _offset);
            if (first < lo) lo = first;
            if (last > hi) hi = last;
        }
        if (lo == long.MaxValue) return;
        for (var start = lo; start <= hi; start += _slide)
        {
            var end = start + _size;
            if (end - 1 <= _watermark) continue;   // fired: its changed rows come from the fired list
            WindowBucket<TKey, TState, Hasher>? revs = null;
            for (var i = 0; i < _paneCount && _panes[i].Start < end; i++)
            {
                var pane = _panes[i];
                if (pane.Start < start || !pane.Touched) continue;
                foreach (ref var entry in pane.Table)
                {
                    if (!entry.State.Changed) continue;
                    revs ??= GetOrCreateRevs(start, end);
                    EmitOpenWindowPeriodic(entry.Key, start, end, pane.Start, revs);
                }
            }
        }
        for (var i = 0; i < _paneCount; i++)
        {
            var pane = _panes[i];
            if (!pane.Touched) continue;
            var en = pane.Table.GetEnumerator();
            while (en.MoveNext())
            {
                ref var entry = ref en.Current;
                if (!entry.State.Changed) continue;
                entry.State.Changed = false;
                en.MarkDirty();   // the flag is part of the checkpointed entry
            }
            pane.Touched = false;
        }
        // Events go on into the cached pane without looking it up again: it stays touched.
        if (_lastPane is not null) _lastPane.Touched = true;
    }

    /// <summary>
    /// Emits the row of <paramref name="key"/> in the open window [start, end), unless a pane of the
    /// window earlier than <paramref name="fromPane"/> also changed for the key (that pane emits it).
    /// </summary>
    private void EmitOpenWindowPeriodic(in TKey key, long start, long end, long fromPane, WindowBucket<TKey, TState, Hasher> revs)
    {
        TSpec.Init(out var agg);
        for (var i = 0; i < _paneCount && _panes[i].Start < end; i++)
        {
            var pane = _panes[i];
            if (pane.Start < start) continue;
            ref var slot = ref pane.Table.GetValueRefOrNullRef(key);
            if (Unsafe.IsNullRef(ref slot)) continue;
            if (slot.Changed && pane.Start < fromPane) return;
            TSpec.Merge(ref agg, slot.Agg);
        }
        ref var rev = ref revs.Table.GetValueRefOrAdd(key, out var added);
        if (added) TSpec.Init(out rev.Agg);
        TSpec.ToRow(key, agg, start, end, out var row);
        var revision = new RowRevision(start, end, rev.Revision, false, _watermark);
        rev.Revision++;
        _rowsEmitted++;
        _sink.OnRow(row, revision);
    }

    private WindowBucket<TKey, TState, Hasher> GetOrCreateRevs(long start, long end)
    {
        var i = _revCount;
        while (i > 0 && _revs[i - 1].Start > start) i--;
        if (i > 0 && _revs[i - 1].Start == start) return _revs[i - 1];
        var revs = Rent(start, end);
        Insert(ref _revs, ref _revCount, i, revs);
        return revs;
    }

    /// <summary>
    /// The sliding window [start, end) fired as <paramref name="window"/> (null: it held nothing): its
    /// rows so far become the revisions of the window's slots, and (Periodic) a key changed in one of its
    /// panes since the last tick is marked Changed in it. Revision buckets of this and earlier windows go
    /// back to the pool.
    /// </summary>
    private void CarryPeriodic(WindowBucket<TKey, TState, Hasher>? window, long start, long end)
    {
        while (_revCount > 0 && _revs[0].Start <= start)
        {
            var revs = RemoveAt(_revs, ref _revCount, 0);
            // (Revisions carry under Periodic only: an operator restored from a Periodic snapshot under
            // another mode just frees them, as it does the revision bucket of a window without state.)
            if (window is not null && revs.Start == start && _emit == EmitMode.Periodic)
                foreach (ref var entry in revs.Table)
                {
                    ref var slot = ref window.Table.GetValueRefOrNullRef(entry.Key);
                    if (!Unsafe.IsNullRef(ref slot)) slot.Revision += entry.State.Revision;
                }
            Return(revs);
        }
        if (window is null || _emit != EmitMode.Periodic) return;
        for (var i = 0; i < _paneCount && _panes[i].Start < end; i++)
        {
            var pane = _panes[i];
            if (pane.Start < start || !pane.Touched) continue;
            foreach (ref var entry in pane.Table)
            {
                if (!entry.State.Changed) continue;
                ref var slot = ref window.Table.GetValueRefOrNullRef(entry.Key);
                if (!Unsafe.IsNullRef(ref slot)) slot.Changed = true;
            }
        }
    }

    /// <summary>Gives every revision bucket back (restore).</summary>
    private void ClearRevs()
    {
        while (_revCount > 0) Return(RemoveAt(_revs, ref _revCount, _revCount - 1));
    }
}
