using Kernel.Time;

namespace Kernel.Operators;

// Reads of the live state for queries (Kernel.Queries): a (key, window)'s current aggregate, the
// windows that hold state, and every key of one window. These run on whichever thread holds the
// operator (the caller serializes them with the writer, e.g. through Kernel.Queries.StateGate);
// they allocate nothing and do not change the state. Tumbling and sliding windows only: a session's
// bounds move with every event, so sessions are read from finalized rows instead.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    /// <summary>
    /// The current row of (<paramref name="key"/>, the window starting at <paramref name="windowStartMs"/>)
    /// from live state: a fired window still inside its allowed lateness, or a window not fired yet
    /// (merged from its panes for sliding windows). False when no live state holds that pair.
    /// </summary>
    /// <exception cref="NotSupportedException">The aggregation uses session windows.</exception>
    public bool TryGetLiveRow(in TKey key, long windowStartMs, out TRow row)
    {
        if (_session) QueryThrowHelper.ThrowSessionQuery();
        var end = AddSat(windowStartMs, _size);
        for (var i = 0; i < _firedCount; i++)
        {
            var w = _fired[i];
            if (w.Start != windowStartMs) continue;
            if (w.Table.TryGetValue(key, out var slot) || TryReadSpilled(w, key, out slot))   // [spill]
            {
                TSpec.ToRow(key, slot.Agg, w.Start, w.End, out row);
                if (TSpec.HasSideState) TSpec.SideToRow(_side!, slot.Agg, ref row);   // [side-state]
                return true;
            }
            row = default!;
            return false;
        }
        if (windowStartMs >= _nextFireStart && IsWindowStart(windowStartMs))
        {
            TState agg = default;
            var found = false;
            for (var i = 0; i < _paneCount && _panes[i].Start < end; i++)
            {
                var pane = _panes[i];
                if (pane.Start < windowStartMs || !pane.Table.TryGetValue(key, out var slot)) continue;
                if (!found)
                {
                    TSpec.Init(out agg);
                    found = true;
                }
                TSpec.Merge(ref agg, slot.Agg);
                if (TSpec.HasSideState) TSpec.CopySideHandles(slot.Agg, ref agg);   // [side-state] tumbling only: one pane
            }
            if (found)
            {
                TSpec.ToRow(key, agg, windowStartMs, end, out row);
                if (TSpec.HasSideState) TSpec.SideToRow(_side!, agg, ref row);   // [side-state]
                return true;
            }
        }
        row = default!;
        return false;
    }

    /// <summary>
    /// Writes the starts of the windows holding live state, ascending, into <paramref name="starts"/>;
    /// returns how many there are (only the first <c>starts.Length</c> are written).
    /// </summary>
    /// <exception cref="NotSupportedException">The aggregation uses session windows.</exception>
    public int GetLiveWindowStarts(Span<long> starts)
    {
        if (_session) QueryThrowHelper.ThrowSessionQuery();
        var n = 0;
        var last = long.MinValue;
        for (var i = 0; i < _firedCount; i++) Add(starts, ref n, ref last, _fired[i].Start);
        for (var i = 0; i < _paneCount; i++)
        {
            var pane = _panes[i];
            var first = Math.Max(SlidingWindows.FirstWindowStart(pane.Start, _size, _slide, _offset), _nextFireStart);
            var lastStart = TumblingWindows.StartOf(pane.Start, _slide, _offset);
            for (var s = first; s <= lastStart; s += _slide) Add(starts, ref n, ref last, s);
        }
        return n;

        static void Add(Span<long> starts, ref int n, ref long last, long start)
        {
            // Fired windows precede unfired ones and panes are sorted, so the starts come ascending
            // except for overlaps between neighbouring panes: skip what was already written.
            if (n > 0 && start <= last) return;
            if (n < starts.Length) starts[n] = start;
            n++;
            last = start;
        }
    }

    /// <summary>
    /// Hands every key's current row of the window starting at <paramref name="windowStartMs"/> to
    /// <paramref name="visitor"/> (no order); returns the number of rows.
    /// </summary>
    /// <exception cref="NotSupportedException">The aggregation uses session windows.</exception>
    public int VisitLiveWindow<TVisitor>(long windowStartMs, ref TVisitor visitor)
        where TVisitor : struct, IRowVisitor<TRow>
    {
        if (_session) QueryThrowHelper.ThrowSessionQuery();
        for (var i = 0; i < _firedCount; i++)
        {
            var w = _fired[i];
            if (w.Start != windowStartMs) continue;
            var count = 0;
            foreach (ref var entry in w.Table)
            {
                TSpec.ToRow(entry.Key, entry.State.Agg, w.Start, w.End, out var row);
                if (TSpec.HasSideState) TSpec.SideToRow(_side!, entry.State.Agg, ref row);   // [side-state]
                visitor.Visit(row);
                count++;
            }
            if (w.Spilled > 0) count += VisitSpilled(w, ref visitor);   // [spill]
            return count;
        }
        if (windowStartMs < _nextFireStart || !IsWindowStart(windowStartMs)) return 0;
        var end = AddSat(windowStartMs, _size);
        if (_size == _pane)
        {
            for (var i = 0; i < _paneCount; i++)
            {
                var pane = _panes[i];
                if (pane.Start != windowStartMs) continue;
                var count = 0;
                foreach (ref var entry in pane.Table)
                {
                    TSpec.ToRow(entry.Key, entry.State.Agg, pane.Start, pane.End, out var row);
                    if (TSpec.HasSideState) TSpec.SideToRow(_side!, entry.State.Agg, ref row);   // [side-state]
                    visitor.Visit(row);
                    count++;
                }
                return count;
            }
            return 0;
        }
        // Sliding: a key's row merges its panes; visit each key once, from the first pane holding it.
        var rows = 0;
        for (var i = 0; i < _paneCount && _panes[i].Start < end; i++)
        {
            var pane = _panes[i];
            if (pane.Start < windowStartMs) continue;
            foreach (ref var entry in pane.Table)
            {
                var seenEarlier = false;
                for (var j = 0; j < i && !seenEarlier; j++)
                    seenEarlier = _panes[j].Start >= windowStartMs && _panes[j].Table.ContainsKey(entry.Key);
                if (seenEarlier) continue;
                if (TryGetLiveRow(entry.Key, windowStartMs, out var row))
                {
                    visitor.Visit(row);
                    rows++;
                }
            }
        }
        return rows;
    }

    private bool IsWindowStart(long start) => TumblingWindows.StartOf(start, _slide, _offset) == start;
}
