using System.Diagnostics;
using System.Runtime.CompilerServices;
using Kernel.State;

namespace Kernel.Operators;

// The sliding windows' two stacks over state tables (moved out of WindowedAggregator.Panes.cs, which keeps
// the panes, their fold loops and the timers): pushing panes, firing a window from the stacks, flipping
// the back into suffixes, and the slot merge they share.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    // Sliding windows fire through a two-stacks aggregation over panes, per key (one table per stack
    // entry): the "back" is one running table, the merge of the panes pushed since the last flip; the
    // "front" holds, per older pane, the merge of it and every newer front pane (a suffix). A window is
    // front's oldest suffix merged with the back. A fire evicts the panes before its start from the
    // front; when an eviction finds the front empty, the back is flipped into fresh suffixes. Each pane
    // is merged into the back once and into the suffixes once per flip, so a fire costs a constant number
    // of merges per key (amortized), not size/slide of them. The aggregates are merge-only, so nothing is
    // ever subtracted. Stack tables are rented from the bucket pool like panes.
    // A pane the stacks hold can still change afterwards (an event behind the watermark that later,
    // unfired windows need): that marks the stacks stale and the next fire rebuilds them from the panes.
    // Direct tables (dense keys) take shortcuts with the same results: a flip writes each suffix in one
    // pass over the newer suffix and the pane, and under Final without lateness a fired window's rows are
    // read from the oldest suffix merged with the back without building its table (TryEmitMergedWindow).
    // When, besides, every pane of the window is direct and nothing else needs the stack tables (Final
    // without lateness), the stacks are plain arrays of aggregates instead (WindowedAggregator.DenseStacks.cs).
    private WindowBucket<TKey, TState, Hasher>[] _front = [];   // suffixes, oldest first from _frontHead; Start = the pane's
    private int _frontHead;
    private int _frontCount;
    private WindowBucket<TKey, TState, Hasher>? _back;            // the merge of _backPanes, null when none
    private WindowBucket<TKey, TState, Hasher>[] _backPanes = [];  // panes pushed since the last flip, oldest first
    private long[] _backStarts = [];                              // their starts (a released pane's bucket is reused)
    private int _backCount;
    private long _stackEnd = long.MinValue;                       // panes starting before this have been pushed
    private bool _stacksValid = true;

    /// <summary>
    /// With <paramref name="count"/> windows preallocated (<see cref="WindowOptions.PreallocatedWindows"/>) and sliding
    /// windows, allocates up front what the first fires would: the stacks' lists (room for a window's panes) and a
    /// pane list with room for the panes held at once (a window's, the out-of-orderness bound's and the allowed
    /// lateness's, within <paramref name="count"/>), so a fresh operator allocates nothing from its first event
    /// (the list grew 8, 16, 32, 64, 128 on one-minute panes of one-hour windows: 3.5 KB a run of <c>sliding-1h-1m</c>).
    /// </summary>
    private void PreallocateStackLists(int count)
    {
        if (count == 0 || _session || _size == _pane) return;
        var panes = (int)Math.Min(_size / _pane + 2, 1 << 16);
        _front = new WindowBucket<TKey, TState, Hasher>[panes];
        _backPanes = new WindowBucket<TKey, TState, Hasher>[panes];
        _backStarts = new long[panes];
        var held = (int)Math.Min(Math.Min(AddSat(AddSat(_size, _outOfOrderness), _lateness) / _pane, count), 1 << 16) + 2;
        if (held > _panes.Length) _panes = new WindowBucket<TKey, TState, Hasher>[held];
    }

    /// <summary>Records <paramref name="pane"/> as pushed onto the back stack (both fire paths), growing the lists when full.</summary>
    private void PushBackPane(WindowBucket<TKey, TState, Hasher> pane)
    {
        if (_backCount == _backPanes.Length)
        {
            var capacity = Math.Max(8, _backCount * 2);
            Array.Resize(ref _backPanes, capacity);
            Array.Resize(ref _backStarts, capacity);
        }
        _backPanes[_backCount] = pane;
        _backStarts[_backCount] = pane.Start;
        _backCount++;
    }

    /// <summary>Fires the sliding window [start, end): the merge of its panes, or null when it has none.</summary>
    private WindowBucket<TKey, TState, Hasher>? FireSlidingWindow(long start, long end)
    {
        if (!_stacksValid) ResetStacks();
        if (_backPanes.Length == 0)
        {
            // Once per operator: room for a window's panes, so the stacks do not grow in steps.
            var panes = (int)Math.Min(_size / _pane + 2, 1 << 16);
            _front = new WindowBucket<TKey, TState, Hasher>[panes];
            _backPanes = new WindowBucket<TKey, TState, Hasher>[panes];
            _backStarts = new long[panes];
        }
        while (_frontCount > 0 && _front[_frontHead].Start < start)
        {
            var suffix = _front[_frontHead];
            _front[_frontHead] = null!;
            _frontHead++;
            _frontCount--;
            Return(suffix);
        }
        if (_frontCount == 0 && _backCount > 0 && _backStarts[0] < start) Flip(start);

        var from = Math.Max(_stackEnd, start);
        var any = false;
        for (var i = 0; i < _paneCount && _panes[i].Start < end; i++)
        {
            var pane = _panes[i];
            if (pane.Start < start) continue;
            any = true;
            if (pane.Start < from) continue;
            _back ??= Rent(pane.Start, pane.End);
            MergeInto(_back, pane);
            PushBackPane(pane);
        }
        if (end > _stackEnd) _stackEnd = end;
        if (!any) return null;
        // Final without lateness: the window is released as soon as it fires (no event can reach it after),
        // so its rows come straight from the merge of the oldest suffix and the back, with no table built
        // for it, when both are direct. Null then: nothing to keep.
        if (_emit == EmitMode.Final && _lateness == 0 && _firedCount == 0 && !TSpec.HasSideState && TryEmitMergedWindow(start, end)) return null;

        WindowBucket<TKey, TState, Hasher> window;
        if (_frontCount > 0 && _front[_frontHead].Start < start + _slide)
        {
            // The oldest suffix leaves the front at the next fire anyway: take it as the window's table
            // instead of copying it.
            window = _front[_frontHead];
            _front[_frontHead] = null!;
            _frontHead++;
            _frontCount--;
            window.Start = start;
            window.End = end;
        }
        else
        {
            window = Rent(start, end);
            if (_frontCount > 0) MergeInto(window, _front[_frontHead]);
        }
        if (_back is not null) MergeInto(window, _back);
        return window;
    }

    /// <summary>
    /// The final rows of the sliding window [start, end), emitted from front's oldest suffix merged with
    /// the back, slot by slot (direct tables only; false, emitting nothing, otherwise). The rows and their
    /// order are those the window's table would give on release. A suffix that leaves the front at the next
    /// fire anyway goes back to the pool at the end of the fire, as the window's table would have.
    /// </summary>
    private bool TryEmitMergedWindow(long start, long end)
    {
        var older = _frontCount > 0 ? _front[_frontHead] : null;
        var visitor = new ReleasedRows(this, start, end, new RowRevision(start, end, 0, true, _watermark));
        if (older is not null)
        {
            if (!older.Table.TryVisitMergedDirect<SlotMerge, ReleasedRows>(_back?.Table, ref visitor)) return false;
        }
        else if (_back is null || !_back.Table.TryVisitMergedDirect<SlotMerge, ReleasedRows>(null, ref visitor)) return false;
        if (older is not null && older.Start < start + _slide)
        {
            _front[_frontHead] = null!;
            _frontHead++;
            _frontCount--;
            _emittedSuffix = older;   // back to the pool at the end of the fire (FireNextWindow)
        }
        return true;
    }

    // The suffix TryEmitMergedWindow emitted a window from, returned to the pool once the fire is done.
    private WindowBucket<TKey, TState, Hasher>? _emittedSuffix;


    /// <summary>Turns the back into front suffixes, newest first, skipping the panes before <paramref name="start"/> (evicted, maybe released).</summary>
    private void Flip(long start)
    {
        Debug.Assert(_frontCount == 0, "flip with a non-empty front");
        var keep = 0;
        while (keep < _backCount && _backStarts[keep] < start) keep++;
        var n = _backCount - keep;
        if (_front.Length < n) _front = new WindowBucket<TKey, TState, Hasher>[Math.Max(8, n * 2)];
        _frontHead = 0;
        _frontCount = n;
        WindowBucket<TKey, TState, Hasher>? newer = null;
        for (var j = _backCount - 1; j >= keep; j--)
        {
            var pane = _backPanes[j];
            var suffix = Rent(pane.Start, pane.End);
            // One pass when the tables are direct: the newer suffix, then the pane merged in.
            if (!(newer is not null ? suffix.Table.TryFillMergedDirect<SlotMerge>(newer.Table, pane.Table) : suffix.Table.TryFillMergedDirect<SlotMerge>(pane.Table, null)))
            {
                if (newer is not null) MergeInto(suffix, newer);
                MergeInto(suffix, pane);
            }
            _front[j - keep] = suffix;
            newer = suffix;
        }
        ClearBack();
    }

    private void ClearBack()
    {
        if (_back is not null) Return(_back);
        _back = null;
        Array.Clear(_backPanes, 0, _backCount);
        _backCount = 0;
    }

    /// <summary>Drops every stack table: the next fire pushes its panes again (stale stacks, restore).</summary>
    private void ResetStacks()
    {
        for (var i = 0; i < _frontCount; i++)
        {
            Return(_front[_frontHead + i]);
            _front[_frontHead + i] = null!;
        }
        _frontHead = 0;
        _frontCount = 0;
        ClearBack();
        ResetDenseStacks();
        _stackEnd = long.MinValue;
        _stacksValid = true;
    }

    private static void MergeInto(WindowBucket<TKey, TState, Hasher> into, WindowBucket<TKey, TState, Hasher> from)
    {
        var table = into.Table;
        // Both direct (dense keys): slot by slot, no lookup per key.
        if (table.TryMergeDirect<SlotMerge>(from.Table)) return;
        foreach (ref var entry in from.Table)
        {
            ref var slot = ref table.GetValueRefOrAdd(entry.Key, out var added);
            if (added) TSpec.Init(out slot.Agg);
            TSpec.Merge(ref slot.Agg, entry.State.Agg);
            // Pane slots count rows only under sliding EveryUpdate (EmitOpenWindow); elsewhere they are 0.
            slot.Revision += entry.State.Revision;
        }
    }

    /// <summary>A pane's or suffix's slot merged into a window's (the merge of <see cref="MergeInto"/>).</summary>
    private readonly struct SlotMerge : ISlotMerge<WindowSlot<TState>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Merge(ref WindowSlot<TState> into, in WindowSlot<TState> from, bool added)
        {
            if (added) TSpec.Init(out into.Agg);
            TSpec.Merge(ref into.Agg, from.Agg);
            // Pane slots count rows only under sliding EveryUpdate (EmitOpenWindow); elsewhere they are 0.
            into.Revision += from.Revision;
        }
    }
}
