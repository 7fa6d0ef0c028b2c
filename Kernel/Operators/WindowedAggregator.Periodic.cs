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
//     in any of its panes, one row: the merge of the window's panes for that key. Keys are taken one at
//     a time from the touched panes' changed slots: the key's slot in every pane of the open windows is
//     looked up once, then a two-stacks queue over those copies gives each of its rows (lookups per key
//     ≈ panes in the open windows, merges a constant number per pane, not one per window holding it). The earliest changed pane handles the key, so a key changed in two
//     panes of a window makes one row. Fired windows inside their lateness emit their changed rows from
//     their own tables, as tumbling ones do. Then the changed flags of the touched panes are cleared.
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

    // Per-tick scratch, grown and kept (no allocation in steady state): for one key, its slot in each
    // pane of the open windows (aggregate, present), the number of panes before each one where it
    // changed, and the revision bucket of each open window once looked up.
    private TState[] _tickAggs = [];
    private TState[] _tickSuffix = [];
    private bool[] _tickSuffixEmpty = [];
    private bool[] _tickHas = [];
    private int[] _tickChanged = [];
    private WindowBucket<TKey, TState, Hasher>?[] _tickRevs = [];

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
        // Fired windows emit from the fired list; the open ones start at the first with end − 1 > W.
        var firstOpen = lo;
        while (firstOpen <= hi && firstOpen + _size - 1 <= _watermark) firstOpen += _slide;
        if (firstOpen <= hi)
        {
            // The panes of the open windows [firstOpen, hi + size): indices [a, b).
            var a = 0;
            while (a < _paneCount && _panes[a].Start < firstOpen) a++;
            var b = a;
            while (b < _paneCount && _panes[b].Start < hi + _size) b++;
            var windows = (int)((hi - firstOpen) / _slide) + 1;
            EnsureTickScratch(b - a, windows);
            Array.Clear(_tickRevs, 0, windows);
            for (var p = a; p < b; p++)
            {
                var pane = _panes[p];
                if (!pane.Touched) continue;
                foreach (ref var entry in pane.Table)
                    if (entry.State.Changed) EmitKeyPeriodic(entry.Key, a, b, p, firstOpen, windows);
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
    /// The rows of <paramref name="key"/>, changed in pane <paramref name="from"/>, in every open window
    /// holding a pane where it changed: one lookup per pane of the open windows, then each row merges
    /// the gathered slots. Nothing when an earlier pane changed for the key too (that pane emitted them).
    /// </summary>
    private void EmitKeyPeriodic(in TKey key, int a, int b, int from, long firstOpen, int windows)
    {
        var changed = 0;
        for (var j = a; j < b; j++)
        {
            var g = j - a;
            _tickChanged[g] = changed;
            ref var slot = ref _panes[j].Table.GetValueRefOrNullRef(key);
            if (Unsafe.IsNullRef(ref slot))
            {
                _tickHas[g] = false;
                continue;
            }
            if (slot.Changed)
            {
                if (j < from) return;
                changed++;
            }
            _tickHas[g] = true;
            _tickAggs[g] = slot.Agg;
        }
        _tickChanged[b - a] = changed;
        // The windows' pane ranges [first, last) only move forward: a two-stacks queue over them (as at
        // firing) merges each slot a constant number of times, not once per window holding it. The
        // front holds suffix merges of [first, flip), the back the merge of [flip, last).
        // Merges only ever put an earlier range on the left of a later one, and never merge an initial
        // state on the right (empty ranges are tracked, not merged).
        int first = a, last = a, flip = a;
        TSpec.Init(out var back);
        var backEmpty = true;
        for (var w = 0; w < windows; w++)
        {
            var start = firstOpen + w * _slide;
            var end = start + _size;
            for (; last < b && _panes[last].Start < end; last++)
            {
                if (!_tickHas[last - a]) continue;
                TSpec.Merge(ref back, _tickAggs[last - a]);
                backEmpty = false;
            }
            while (first < b && _panes[first].Start < start) first++;
            if (first >= flip)
            {
                // The front is empty: the back becomes suffixes, newest first.
                TSpec.Init(out var acc);
                var accEmpty = true;
                for (var j = last - 1; j >= first; j--)
                {
                    var g = j - a;
                    if (_tickHas[g])
                    {
                        var merged = _tickAggs[g];
                        if (!accEmpty) TSpec.Merge(ref merged, acc);
                        acc = merged;
                        accEmpty = false;
                    }
                    _tickSuffix[g] = acc;
                    _tickSuffixEmpty[g] = accEmpty;
                }
                flip = last;
                TSpec.Init(out back);
                backEmpty = true;
            }
            if (_tickChanged[last - a] == _tickChanged[first - a]) continue;   // the key did not change in this window
            TState agg;
            if (first < flip && !_tickSuffixEmpty[first - a])
            {
                agg = _tickSuffix[first - a];
                if (!backEmpty) TSpec.Merge(ref agg, back);
            }
            else agg = back;
            var revs = _tickRevs[w] ??= GetOrCreateRevs(start, end);
            ref var rev = ref revs.Table.GetValueRefOrAdd(key, out var added);
            if (added) TSpec.Init(out rev.Agg);
            TSpec.ToRow(key, agg, start, end, out var row);
            var revision = new RowRevision(start, end, rev.Revision, false, _watermark);
            rev.Revision++;
            _rowsEmitted++;
            _sink.OnRow(row, revision);
        }
    }

    private void EnsureTickScratch(int panes, int windows)
    {
        if (_tickAggs.Length < panes)
        {
            var n = Math.Max(panes, _tickAggs.Length * 2);
            _tickAggs = new TState[n];
            _tickSuffix = new TState[n];
            _tickSuffixEmpty = new bool[n];
            _tickHas = new bool[n];
            _tickChanged = new int[n + 1];
        }
        if (_tickRevs.Length < windows) _tickRevs = new WindowBucket<TKey, TState, Hasher>?[Math.Max(windows, _tickRevs.Length * 2)];
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
