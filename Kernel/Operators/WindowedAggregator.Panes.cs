using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Kernel.State;
using Kernel.Time;

namespace Kernel.Operators;

// Tumbling and sliding windows. Time is cut into panes of gcd(size, slide) (for tumbling, a pane is
// the window). An event updates one pane. When the watermark reaches a window's end − 1 the window
// fires: its panes are merged into a "fired" bucket (for tumbling the pane itself is moved there),
// which allowed-late events update directly and which is released at end − 1 + AllowedLateness.
// Panes no later window needs are released when a window fires.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    // Events between asking for a slot and folding into it (see KeyedAggregator).
    private const int PrefetchDistance = 8;

    private WindowBucket<TKey, TState, Hasher>[] _panes;   // sorted by Start; windows not fired yet need them
    private int _paneCount;
    private WindowBucket<TKey, TState, Hasher>[] _fired;   // sorted by Start; fired, inside allowed lateness
    private int _firedCount;
    private readonly Stack<WindowBucket<TKey, TState, Hasher>> _pool = new();
    private WindowBucket<TKey, TState, Hasher>? _lastPane;
    // The pane cached before _lastPane when the batch path moved on to a later one: an out-of-order event
    // of it is folded there without giving up the cached pane (TryFoldOlderPane). Dropped with _lastPane
    // when a window fires (a fire may make its events allowed-late), on release and on restore.
    private WindowBucket<TKey, TState, Hasher>? _olderPane;

    /// <summary>Drops both cached panes (a fire, a restore): the next event looks its pane up.</summary>
    private void ForgetCachedPanes()
    {
        _lastPane = null;
        _olderPane = null;
    }

    // The start of the earliest window that has not fired; long.MaxValue when there is none.
    private long _nextFireStart = long.MaxValue;

    /// <summary>The number of windows (or panes) holding state: bounded on an endless stream.</summary>
    public int OpenBuckets => _paneCount + _firedCount + _revCount;

    /// <summary>The number of (key, window) entries held across every pane and fired window (sessions: open sessions).</summary>
    public long StateEntries
    {
        get
        {
            long n = _sessionLive;
            for (var i = 0; i < _revCount; i++) n += _revs[i].Table.Count;
            for (var i = 0; i < _paneCount; i++) n += _panes[i].Table.Count;
            for (var i = 0; i < _firedCount; i++) n += _fired[i].Table.Count;
            return n;
        }
    }

    /// <summary>
    /// <see cref="Apply"/> for the common case (one source, per-record watermarks, tumbling or sliding,
    /// Final or OnWindowClose emission): the same steps as <see cref="OnEvent"/>, with the largest event
    /// time held in a local across the batch. The watermark is not kept per event: it is a function of
    /// the largest event time (<c>maxT − B − 1</c>), so the loops only compare an event's time with the
    /// event time at which the watermark would reach the next timer, and bring <c>_watermark</c> up to
    /// date before any call that reads it (finding another pane, running timers) and at the end. Events
    /// are still judged one at a time against the watermark the events before them made.
    /// </summary>
    /// <remarks>
    /// Tables in direct mode (dense integer keys), tumbling and sliding alike: <see cref="ApplyPanesDirect"/>
    /// folds the events that fall in the cached pane and bring no timer due through a view of the table's
    /// arrays, making no call; a key's first event in the pane is added there too when its slot is free
    /// (a pane takes every key anew: in the <c>windows</c> suite 1 event in 40 for <c>daily</c>, 1 in 14
    /// for <c>sliding-1h-1m</c>'s minute panes). It stops at any other event (a clean key, a key outside the
    /// slots, another pane, a late event, a due timer), which <see cref="StepPanes"/> takes through the
    /// general steps, and then the loop resumes with a fresh view. A hashed table runs
    /// <see cref="ApplyPanesHashed"/>. Sliding windows fire through merges of direct tables slot by slot
    /// (<see cref="MergeInto"/>); before those (session 6), the direct loop made 1h/1m's fires weigh more
    /// against its cheaper events and sliding stayed on the hashed loop.
    /// </remarks>
    private void ApplyPanes(ReadOnlySpan<TEvent> events)
    {
        if (!StateTable<TKey, WindowSlot<TState>, Hasher>.SupportsDirect)
        {
            ApplyPanesHashed(events, 0);
            return;
        }
        var maxT = _maxEventTime[0];
        var i = 0;
        // The table whose loops claim primed slots uncounted (CountsPrimedByScan), with the primed slots it held
        // before the first of them and whether any was clean then. Loops on it separated only by events folded
        // into the older pane (TryFoldOlderPane: a held key's state, no control byte) share one count before and
        // one after: with one-minute panes about 9 loops in 10 start after such an event (1 event in 200).
        StateTable<TKey, WindowSlot<TState>, Hasher>? scanned = null;
        var heldBefore = 0;
        var anyClean = false;
        while (i < events.Length)
        {
            var pane = _lastPane;
            if (pane is not null)
            {
                var table = pane.Table;
                if (!table.TryGetDirectView(out var view))
                {
                    CountScannedClaims(scanned, heldBefore);
                    _maxEventTime[0] = maxT;
                    ApplyPanesHashed(events, i);
                    return;
                }
                var added = 0;
                var span = HitSpan(pane.Start, pane.End, TimerDueAt());
                if (CountsPrimedByScan(view.Primed, events.Length - i))
                {
                    if (!ReferenceEquals(scanned, table))
                    {
                        CountScannedClaims(scanned, heldBefore);
                        scanned = table;
                        heldBefore = table.CountPrimedHeld();
                        // No clean slot appears while the loops run (they only mark slots dirty): "none" stays exact.
                        anyClean = table.AnyPrimedClean();
                    }
                    if (anyClean)
                    {
                        i = _replaying
                            ? ApplyPanesDirectReplayed<ScannedClaims>(view, events, i, pane.Start, span, ref maxT, ref added)
                            : ApplyPanesDirect<ScannedClaims>(view, events, i, pane.Start, span, ref maxT, ref added);
                    }
                    else
                    {
                        // No clean key among the primed slots (none since the last checkpoint): a claim is the write alone.
                        i = _replaying
                            ? ApplyPanesDirectReplayed<UncheckedClaims>(view, events, i, pane.Start, span, ref maxT, ref added)
                            : ApplyPanesDirect<UncheckedClaims>(view, events, i, pane.Start, span, ref maxT, ref added);
                    }
                }
                else
                {
                    CountScannedClaims(scanned, heldBefore);
                    scanned = null;
                    i = _replaying
                        ? ApplyPanesDirectReplayed<CountedClaims>(view, events, i, pane.Start, span, ref maxT, ref added)
                        : ApplyPanesDirect<CountedClaims>(view, events, i, pane.Start, span, ref maxT, ref added);
                }
                table.CommitWindowAdds(added);   // the adds outside the primed slots (the loop counts those)
                if (i == events.Length) break;
                if (TryFoldOlderPane(events[i], maxT))
                {
                    i++;
                    continue;
                }
            }
            CountScannedClaims(scanned, heldBefore);
            scanned = null;
            StepPanes(events[i], ref maxT);
            i++;
        }
        CountScannedClaims(scanned, heldBefore);
        SyncWatermark(maxT);
        _maxEventTime[0] = maxT;
    }

    /// <summary>
    /// Hands <paramref name="table"/> the primed slots its uncounted loops claimed (those held now less the
    /// <paramref name="heldBefore"/> held before the first of them); nothing when <paramref name="table"/> is null.
    /// </summary>
    private static void CountScannedClaims(StateTable<TKey, WindowSlot<TState>, Hasher>? table, int heldBefore)
    {
        if (table is not null) table.CommitWindowAdds(table.CountPrimedHeld() - heldBefore);
    }

    /// <summary>
    /// Whether the direct loop over <paramref name="events"/> events leaves the count of the primed slots it
    /// claims to two passes over the first <paramref name="primed"/> control bytes (before and after it, or around a
    /// chain of its runs split only by older-pane events; <c>CountPrimedHeld</c>, vectorized: about 32–64 bytes a
    /// cycle) instead of counting each claim (three
    /// instructions an event, a register the loop lacked). Only while those passes cost less than the counts
    /// they save: at most 4 slots per event of the batch left (for the <c>windows</c> suite's batches of
    /// 4,096, tables of up to 16,384 primed slots: <c>daily</c>'s 10,000, the sliding panes' 1,024).
    /// </summary>
    internal static bool CountsPrimedByScan(ulong primed, int events) => primed != 0 && primed <= 4 * (ulong)(uint)events;

    // The two ways the direct loop takes a primed slot (type arguments of ApplyPanesDirect, so each has its own code).
    private struct CountedClaims;   // each claim counts an add (TryClaimPrimed)

    private struct ScannedClaims;   // no count: the caller counts the held primed slots before and after the loop

    private struct UncheckedClaims; // ScannedClaims where no primed slot is clean: no test of the control byte either

    /// <summary>
    /// The length of the event-time range [<paramref name="paneStart"/>, min(<paramref name="paneEnd"/>,
    /// <paramref name="dueAt"/>)) that <see cref="ApplyPanesDirect"/> takes without stopping, or 0 when it
    /// is empty (a timer due at or before the pane's start: every event stops the loop).
    /// </summary>
    internal static ulong HitSpan(long paneStart, long paneEnd, long dueAt)
    {
        var limit = Math.Min(paneEnd, dueAt);
        return limit > paneStart ? (ulong)(limit - paneStart) : 0;
    }

    /// <summary>
    /// The direct-mode loop of <see cref="ApplyPanes"/> from event <paramref name="i"/>: takes every event
    /// whose time lies in [<paramref name="paneStart"/>, + <paramref name="span"/>) (the cached pane, cut at
    /// the event time that brings the next timer due, see <see cref="HitSpan"/>) and that the filter drops or
    /// that falls on a key <paramref name="view"/> holds dirty or can add (its slot free); returns the index
    /// of the first other event (untouched), or the batch's length. <paramref name="maxT"/> is read on entry
    /// and written on return only; <paramref name="added"/> is set to the number of keys added, which the
    /// caller hands to the table (<c>CommitWindowAdds</c>): with <typeparamref name="TClaim"/> = <see cref="ScannedClaims"/>
    /// only those added outside the primed slots (the caller counts the primed ones, <see cref="CountsPrimedByScan"/>).
    /// </summary>
    /// <remarks>
    /// As the keyed operator's direct loop: no call in the loop, so its state stays in registers. One
    /// unsigned compare tests both "in the pane" and "before the next timer" (two compares and a register
    /// more before session 10, when the JIT spilled the view's bound, control array and the pane length
    /// and reloaded them every event). The loop walks a reference through the batch instead of an index
    /// (no multiply per event, one register less); the index is computed once, on return. An event filtered
    /// out but outside the range stops the loop too (<see cref="StepPanes"/> takes it): before, the filter
    /// was asked first. An event the loop takes is before the due time, so the watermark it makes reaches no
    /// timer and the loop's largest time is a plain maximum.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ApplyPanesDirect<TClaim>(StateTable<TKey, WindowSlot<TState>, Hasher>.DirectView view, ReadOnlySpan<TEvent> events, int i,
        long paneStart, ulong span, ref long maxT, ref int added)
        where TClaim : struct
        => FoldPaneRun<TClaim>(view, events, i, paneStart, span, ref maxT, ref added);

    /// <summary>
    /// <see cref="ApplyPanesDirect"/> for journal replay (<see cref="_replaying"/>): the same loop, compiled fully
    /// optimized on its first call instead of through tiered compilation.
    /// </summary>
    /// <remarks>
    /// A recovery replays millions of events in the first second of a process, before tiered compilation
    /// has replaced the tier-0 / on-stack-replacement code of the loop (its call-counting delay keeps being
    /// extended while startup compiles new methods): the first start in a fresh process replayed at
    /// 13-17M events/s against 35-45M/s for a later start in the same process. Marking the live loop
    /// itself this way fixed the replay but made the steady window suites 10-25% slower (code optimized at
    /// once has no profile to guide it), so the replay gets its own copy and the live path stays tiered.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private int ApplyPanesDirectReplayed<TClaim>(StateTable<TKey, WindowSlot<TState>, Hasher>.DirectView view, ReadOnlySpan<TEvent> events, int i,
        long paneStart, ulong span, ref long maxT, ref int added)
        where TClaim : struct
        => FoldPaneRun<TClaim>(view, events, i, paneStart, span, ref maxT, ref added);

    /// <summary>The loop of <see cref="ApplyPanesDirect"/> and <see cref="ApplyPanesDirectReplayed"/>, inlined into each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FoldPaneRun<TClaim>(StateTable<TKey, WindowSlot<TState>, Hasher>.DirectView view, ReadOnlySpan<TEvent> events, int i,
        long paneStart, ulong span, ref long maxT, ref int added)
        where TClaim : struct
    {
        // The largest offset from paneStart among the times the loop takes (each in [0, span)), -1 while none:
        // the offset is what the range test computes anyway, so the maximum needs no copy of the time (one
        // register move an event less than a maximum of the times). In a vector register where vpmaxsq exists:
        // no branch (the 5% delayed events mispredicted it) and a one-cycle chain; a scalar branch-free
        // maximum was slower (session 10).
        var maxD = -1L;
        var maxV = Vector128.CreateScalarUnsafe(-1L);
        var maxPair = Vector128.Create(-1L);
        var adds = 0;
        ref TEvent first = ref MemoryMarshal.GetReference(events);
        ref TEvent e = ref Unsafe.Add(ref first, (nint)(uint)i);
        if (Vector128.IsHardwareAccelerated && events.Length - i > PrefetchDistance + 1)
        {
            // Two events a round: their offsets from paneStart in one vector, one unsigned compare testing both
            // against the span and one maximum for both (about 3.5 instructions an event for the range test and the
            // running maximum, against 6 one event at a time), and the loop's own test once per two events. A pair
            // with an event outside the range leaves the loop to the one-event loops below, which stop at that event.
            // The declaration (Sum and Count): 25 instructions an event before, 21.5 now (session 23).
            ref TEvent pairEnd = ref Unsafe.Add(ref first, (nint)(uint)(events.Length - PrefetchDistance - 1));
            var prefetchBase = view.PrefetchBase;
            var startV = Vector128.Create(paneStart);
            var spanV = Vector128.Create(span);
            do
            {
                StateTable<TKey, WindowSlot<TState>, Hasher>.DirectView.PrefetchAnyHeadAt(prefetchBase, DirectIndex(Unsafe.Add(ref e, PrefetchDistance)), Unsafe.SizeOf<TState>());
                StateTable<TKey, WindowSlot<TState>, Hasher>.DirectView.PrefetchAnyHeadAt(prefetchBase, DirectIndex(Unsafe.Add(ref e, PrefetchDistance + 1)), Unsafe.SizeOf<TState>());
                ref TEvent second = ref Unsafe.Add(ref e, 1);
                var d = Vector128.Create(TSpec.EventTime(e), TSpec.EventTime(second)) - startV;
                if (!Vector128.LessThanAll(d.AsUInt64(), spanV)) break;
                if (!TryFoldInPane<TClaim>(view, e, ref adds)) goto Stop;
                if (!TryFoldInPane<TClaim>(view, second, ref adds))
                {
                    // Only the first event was taken: only its offset counts (the second is the general steps').
                    maxPair = Vector128.Max(maxPair, Vector128.Create(d.ToScalar()));
                    e = ref second;
                    goto Stop;
                }
                maxPair = Vector128.Max(maxPair, d);
                e = ref Unsafe.Add(ref e, 2);
            }
            while (Unsafe.IsAddressLessThan(ref e, ref pairEnd));
        }
        if (events.Length > PrefetchDistance && Unsafe.IsAddressLessThan(ref e, ref Unsafe.Add(ref first, events.Length - PrefetchDistance)))
        {
            // The event PrefetchDistance ahead is inside the batch for every event before this one.
            ref TEvent prefetchEnd = ref Unsafe.Add(ref first, (nint)(uint)(events.Length - PrefetchDistance));
            // The hints' base taken once, not turned from the view's reference into a pointer per event.
            var prefetchBase = view.PrefetchBase;
            do
            {
                // Only the aggregate's lines: the loop never reads the slot's revision and flag behind it.
                StateTable<TKey, WindowSlot<TState>, Hasher>.DirectView.PrefetchAnyHeadAt(prefetchBase, DirectIndex(Unsafe.Add(ref e, PrefetchDistance)), Unsafe.SizeOf<TState>());
                var d = TSpec.EventTime(e) - paneStart;
                if (!TryFoldPaneHit<TClaim>(view, e, d, span, ref adds)) goto Stop;
                if (Avx512F.VL.IsSupported) maxV = Avx512F.VL.Max(maxV, Vector128.CreateScalarUnsafe(d));
                else maxD = Math.Max(maxD, d);
                e = ref Unsafe.Add(ref e, 1);
            }
            while (Unsafe.IsAddressLessThan(ref e, ref prefetchEnd));
        }
        ref TEvent batchEnd = ref Unsafe.Add(ref first, (nint)(uint)events.Length);
        while (Unsafe.IsAddressLessThan(ref e, ref batchEnd))
        {
            var d = TSpec.EventTime(e) - paneStart;
            if (!TryFoldPaneHit<TClaim>(view, e, d, span, ref adds)) goto Stop;
            if (Avx512F.VL.IsSupported) maxV = Avx512F.VL.Max(maxV, Vector128.CreateScalarUnsafe(d));
            else maxD = Math.Max(maxD, d);
            e = ref Unsafe.Add(ref e, 1);
        }
    Stop:
        if (Avx512F.VL.IsSupported) maxD = maxV.ToScalar();
        if (Vector128.IsHardwareAccelerated) maxD = Math.Max(maxD, Math.Max(maxPair.ToScalar(), maxPair.GetElement(1)));
        if (maxD >= 0) maxT = Math.Max(maxT, paneStart + maxD);
        added = adds;
        return (int)((nuint)Unsafe.ByteOffset(ref first, ref e) / (nuint)Unsafe.SizeOf<TEvent>());
    }

    /// <summary>The hit path of <see cref="ApplyPanesDirect"/>: false (nothing done) when the event needs <see cref="StepPanes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFoldPaneHit<TClaim>(in StateTable<TKey, WindowSlot<TState>, Hasher>.DirectView view, in TEvent e, long offset,
        ulong span, ref int adds)
        where TClaim : struct
    {
        // The event's time in [paneStart, min(paneEnd, dueAt)), in one unsigned compare of its offset from paneStart.
        if ((ulong)offset >= span) return false;
        return TryFoldInPane<TClaim>(view, e, ref adds);
    }

    /// <summary><see cref="TryFoldPaneHit"/> for an event whose time is known to be in the loop's range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFoldInPane<TClaim>(in StateTable<TKey, WindowSlot<TState>, Hasher>.DirectView view, in TEvent e, ref int adds)
        where TClaim : struct
    {
        if (TSpec.Filter(e))
        {
            var index = DirectIndex(e);
            if (index < view.Primed)
            {
                // A primed slot (a pooled table's second life on): held or new alike, no branch on which.
                if (typeof(TClaim) == typeof(CountedClaims))
                {
                    if (!view.TryClaimPrimed(index, ref adds)) return false;
                }
                else
                {
                    // Uncounted (CountsPrimedByScan), and the control byte written after the fold: written
                    // before, it made the JIT load the event's time and price a second time (the store might,
                    // for all it knows, change them).
                    if (typeof(TClaim) == typeof(ScannedClaims) && !view.TryPeekPrimed(index)) return false;
                    ref var primed = ref view.StateAt(index);
                    TSpec.Update(ref primed.Agg, e);
                    if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref primed.Agg, e);   // [side-state]
                    view.MarkPrimedDirty(index);
                    return true;
                }
            }
            else if (!view.IsHit(index))
            {
                // A key's first event in the pane: added here when its slot is in range and free.
                if (!view.TryAdd(index, TSpec.KeyOf(e))) return false;
                TSpec.Init(out view.StateAt(index).Agg);
                adds++;
            }
            ref var slot = ref view.StateAt(index);
            TSpec.Update(ref slot.Agg, e);
            if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref slot.Agg, e);   // [side-state]
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong DirectIndex(in TEvent e) => StateTable<TKey, WindowSlot<TState>, Hasher>.DirectIndexOf(TSpec.KeyOf(e));

    /// <summary>
    /// An event the direct loop stopped at, folded into <c>_olderPane</c> when it falls there on a key that
    /// pane holds dirty, is not newer than the largest time (so it moves no watermark and brings no timer
    /// due) and passes the filter; false, doing nothing, otherwise (<see cref="StepPanes"/> takes it). The
    /// cached pane stays: without this an out-of-order event near a pane boundary switched the cached pane
    /// to the older one and the next event switched it back, two loop exits and two lookups, for about
    /// 1 event in 200 with one-minute panes (<c>sliding-1h-1m</c>).
    /// </summary>
    /// <remarks>
    /// No late check is needed: <c>_olderPane</c> was the cached pane (found not late nor allowed-late)
    /// and no window has fired since (a fire drops it), and the event leaves the watermark where it is.
    /// </remarks>
    private bool TryFoldOlderPane(in TEvent e, long maxT)
    {
        var older = _olderPane;
        if (older is null) return false;
        var t = TSpec.EventTime(e);
        if ((ulong)(t - older.Start) >= (ulong)(older.End - older.Start) || t > maxT || !TSpec.Filter(e)) return false;
        if (!older.Table.TryGetDirectView(out var view)) return false;
        var index = DirectIndex(e);
        if (!view.IsHit(index)) return false;   // a new or clean key: the table's general add path
        ref var slot = ref view.StateAt(index);
        TSpec.Update(ref slot.Agg, e);
        if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref slot.Agg, e);   // [side-state]
        return true;
    }

    /// <summary>
    /// One event of <see cref="ApplyPanes"/> through the general steps: its pane (looked up when it is not
    /// the cached one, which may find it late or allowed-late), its slot (added when new), then the
    /// watermark, running the timers it reaches.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StepPanes(in TEvent e, ref long maxT)
    {
        var t = TSpec.EventTime(e);
        if (TSpec.Filter(e))
        {
            var pane = _lastPane;
            if (pane is null || (ulong)(t - pane.Start) >= (ulong)(pane.End - pane.Start))
            {
                SyncWatermark(maxT);
                var cached = _lastPane;
                pane = FindPaneSlow(e, t);
                if (pane is null) goto Watermark;   // late or allowed-late, handled there
                if (cached is not null && pane.Start > cached.Start) _olderPane = cached;
                _lastPane = pane;
            }
            ref var slot = ref pane.Table.GetValueRefOrAdd(TSpec.KeyOf(e), out var added);
            if (added) TSpec.Init(out slot.Agg);
            TSpec.Update(ref slot.Agg, e);
            if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref slot.Agg, e);   // [side-state]
        }
    Watermark:
        if (t > maxT)
        {
            maxT = t;
            // Computed here, after FindPaneSlow: a new pane or fired window may bring the next timer forward.
            if (t >= TimerDueAt())
            {
                SyncWatermark(maxT);
                _maxEventTime[0] = maxT;
                if (_watermark >= _nextTimerAt) RunTimers();
            }
        }
    }

    /// <summary>
    /// <see cref="ApplyPanes"/> from event <paramref name="start"/> for hashed tables: the cached pane's
    /// bounds and table and the largest event time held in locals (reads and writes <c>_maxEventTime[0]</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ApplyPanesHashed(ReadOnlySpan<TEvent> events, int start)
    {
        var maxT = _maxEventTime[0];
        var dueAt = TimerDueAt();
        var pane = _lastPane;
        long paneStart = 0, paneLength = 0;   // an empty range: the first event looks its pane up
        StateTable<TKey, WindowSlot<TState>, Hasher>? table = null;
        if (pane is not null)
        {
            paneStart = pane.Start;
            paneLength = pane.End - pane.Start;
            table = pane.Table;
        }
        for (var i = start; i < events.Length; i++)
        {
            // Ask for the slot of the event a few ahead in the current pane (see KeyedAggregator.Apply).
            if (table is not null && i + PrefetchDistance < events.Length) table.Prefetch(TSpec.KeyOf(events[i + PrefetchDistance]));
            ref readonly var e = ref events[i];
            var t = TSpec.EventTime(e);
            if (TSpec.Filter(e))
            {
                // t in [paneStart, paneStart + paneLength), in one unsigned compare.
                if ((ulong)(t - paneStart) >= (ulong)paneLength)
                {
                    SyncWatermark(maxT);
                    pane = FindPaneSlow(e, t);
                    dueAt = TimerDueAt();   // a new pane or fired window may bring the next timer forward
                    if (pane is null) goto Watermark;   // late or allowed-late, handled there
                    _lastPane = pane;
                    paneStart = pane.Start;
                    paneLength = pane.End - pane.Start;
                    table = pane.Table;
                }
                ref var slot = ref table!.GetValueRefOrAdd(TSpec.KeyOf(e), out var added);
                if (added) TSpec.Init(out slot.Agg);
                TSpec.Update(ref slot.Agg, e);
                if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref slot.Agg, e);   // [side-state]
            }
        Watermark:
            if (t > maxT)
            {
                maxT = t;
                if (t >= dueAt)
                {
                    SyncWatermark(maxT);
                    _maxEventTime[0] = maxT;
                    if (_watermark >= _nextTimerAt) RunTimers();
                    dueAt = TimerDueAt();
                    // Firing drops the cached pane: look it up again at the next event.
                    pane = _lastPane;
                    paneStart = 0;
                    paneLength = 0;
                    table = null;
                    if (pane is not null)
                    {
                        paneStart = pane.Start;
                        paneLength = pane.End - pane.Start;
                        table = pane.Table;
                    }
                }
            }
        }
        SyncWatermark(maxT);
        _maxEventTime[0] = maxT;
    }

    /// <summary>
    /// The smallest event time whose watermark (<c>t − B − 1</c>) reaches the next timer; saturates at
    /// <see cref="long.MaxValue"/>, where the caller checks the watermark itself, so it is never later than the true one.
    /// </summary>
    private long TimerDueAt()
    {
        var next = _nextTimerAt;
        var lead = _outOfOrderness + 1;
        return next > long.MaxValue - lead ? long.MaxValue : next + lead;
    }

    /// <summary>Raises <c>_watermark</c> to the watermark of <paramref name="maxT"/> (it may already be above: a watermark advanced by hand).</summary>
    private void SyncWatermark(long maxT)
    {
        var w = BoundedOutOfOrderness.WatermarkOf(maxT, _outOfOrderness);
        if (w > _watermark) _watermark = w;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnPaneEvent(in TEvent e, long t)
    {
        var pane = _lastPane;
        if (pane is null || t < pane.Start || t >= pane.End)
        {
            pane = FindPaneSlow(e, t);
            if (pane is null) return;   // handled as late or allowed-late
            _lastPane = pane;
        }
        ref var slot = ref pane.Table.GetValueRefOrAdd(TSpec.KeyOf(e), out var added);
        if (added) TSpec.Init(out slot.Agg);
        TSpec.Update(ref slot.Agg, e);
        if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref slot.Agg, e);   // [side-state]
        slot.Changed = true;
        if (_emit == EmitMode.EveryUpdate) EmitUpdate(pane, e, t);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmitUpdate(WindowBucket<TKey, TState, Hasher> pane, in TEvent e, long t)
    {
        var key = TSpec.KeyOf(e);
        if (_size == _pane)
        {
            // Tumbling: the pane is the window, and its slot counts the window's rows.
            Emit(key, ref pane.Table.GetValueRefOrAdd(key, out _), pane.Start, pane.End, isFinal: false);
            return;
        }
        // Sliding: the pane's slot counts its events instead (see EmitOpenWindow); every window that
        // holds t is open here (the event was not behind the watermark for any of them).
        pane.Table.GetValueRefOrAdd(key, out _).Revision++;
        var last = TumblingWindows.StartOf(t, _slide, _offset);
        for (var start = SlidingWindows.FirstWindowStart(t, _size, _slide, _offset); start <= last; start += _slide)
            EmitOpenWindow(key, start, start + _size);
    }

    /// <summary>
    /// EveryUpdate, sliding: emits the current row of <paramref name="key"/> in the open window
    /// [start, end), the merge of its panes. Each event a pane slot takes while a window holding it is
    /// open makes one row of every open window holding it, so a pane slot's <c>Revision</c> counts its
    /// events, and the rows a window emitted so far are the sum over its panes (this row included);
    /// firing sums them the same way (MergeInto), so the fired window's revisions continue the count.
    /// </summary>
    private void EmitOpenWindow(in TKey key, long start, long end)
    {
        TSpec.Init(out var agg);
        var rows = 0;
        for (var i = 0; i < _paneCount && _panes[i].Start < end; i++)
        {
            var pane = _panes[i];
            if (pane.Start < start) continue;
            ref var slot = ref pane.Table.GetValueRefOrNullRef(key);
            if (Unsafe.IsNullRef(ref slot)) continue;
            TSpec.Merge(ref agg, slot.Agg);
            rows += slot.Revision;
        }
        TSpec.ToRow(key, agg, start, end, out var row);
        _rowsEmitted++;
        _sink.OnRow(row, new RowRevision(start, end, rows - 1, false, _watermark));
    }

    /// <summary>
    /// The pane for an event whose pane is not the cached one; null when the event was handled
    /// here instead (late, or only fired windows hold it).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WindowBucket<TKey, TState, Hasher>? FindPaneSlow(in TEvent e, long t)
    {
        var lastStart = TumblingWindows.StartOf(t, _slide, _offset);
        if (AddSat(lastStart + _size - 1, _lateness) <= _watermark)
        {
            OnLate(e, t);
            return null;
        }
        var firstStart = _size == _slide ? lastStart : SlidingWindows.FirstWindowStart(t, _size, _slide, _offset);
        if (firstStart + _size - 1 <= _watermark)
        {
            // Some window holding t has fired: update the fired ones, and the pane if later ones still need it.
            OnAllowedLate(e, t, firstStart, lastStart);
            return null;
        }
        return GetOrCreatePane(TumblingWindows.StartOf(t, _pane, _offset), firstStart);
    }

    private WindowBucket<TKey, TState, Hasher> GetOrCreatePane(long paneStart, long firstWindowStart)
    {
        // From the newest pane back: events are mostly in order, so their pane is one of the last. A
        // sliding window holds size/slide panes (60 for 1h/1m) plus those the watermark lags behind; an
        // out-of-order event near a pane boundary switches the cached pane twice, each a lookup here.
        var i = _paneCount;
        while (i > 0 && _panes[i - 1].Start > paneStart) i--;
        if (i > 0 && _panes[i - 1].Start == paneStart)
        {
            _panes[i - 1].Touched = true;   // an event is about to change it (sliding Periodic scans touched panes only)
            return _panes[i - 1];
        }
        var pane = Rent(paneStart, paneStart + _pane);
        pane.Touched = true;
        Insert(ref _panes, ref _paneCount, i, pane);
        if (firstWindowStart < _nextFireStart)
        {
            _nextFireStart = firstWindowStart;
            UpdateNextTimer();
        }
        return pane;
    }

    private void OnAllowedLate(in TEvent e, long t, long firstStart, long lastStart)
    {
        var key = TSpec.KeyOf(e);
        var paneUpdated = false;
        for (var start = firstStart; start <= lastStart; start += _slide)
        {
            var end = start + _size;
            if (AddSat(end - 1, _lateness) <= _watermark) continue;       // released: no longer changes
            if (end - 1 > _watermark)
            {
                // Not fired yet: it (and every later window) reads the pane.
                if (!paneUpdated)
                {
                    var pane = GetOrCreatePane(TumblingWindows.StartOf(t, _pane, _offset), start);
                    ref var p = ref pane.Table.GetValueRefOrAdd(key, out var padded);
                    if (padded) TSpec.Init(out p.Agg);
                    TSpec.Update(ref p.Agg, e);
                    if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref p.Agg, e);   // [side-state]
                    p.Changed = true;
                    if (_emit == EmitMode.EveryUpdate) p.Revision++;   // sliding: the pane slot counts its events (EmitOpenWindow)
                    paneUpdated = true;
                    // A pane the sliding stacks already hold changed behind their back: rebuild them at the next fire.
                    if (pane.Start < _stackEnd) _stacksValid = false;
                }
                if (_emit == EmitMode.EveryUpdate) EmitOpenWindow(key, start, end);
                continue;
            }
            var window = GetOrCreateFired(start, end);
            ref var slot = ref window.Table.GetValueRefOrAdd(key, out var added);
            if (added && (window.Spilled == 0 || !FaultIn(window, key, ref slot))) TSpec.Init(out slot.Agg);   // [spill] a spilled key comes back
            TSpec.Update(ref slot.Agg, e);
            if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref slot.Agg, e);   // [side-state]
            slot.Changed = true;
            if (_emit is EmitMode.OnWindowClose or EmitMode.EveryUpdate) Emit(key, ref slot, start, end, isFinal: false);
        }
    }

    private WindowBucket<TKey, TState, Hasher> GetOrCreateFired(long start, long end)
    {
        var i = 0;
        while (i < _firedCount && _fired[i].Start < start) i++;
        if (i < _firedCount && _fired[i].Start == start) return _fired[i];
        var window = Rent(start, end);
        Insert(ref _fired, ref _firedCount, i, window);
        UpdateNextTimer();
        return window;
    }

    private void RunPaneTimers()
    {
        while (true)
        {
            var fireAt = _nextFireStart == long.MaxValue ? long.MaxValue : _nextFireStart + _size - 1;
            var cleanupAt = _firedCount == 0 ? long.MaxValue : AddSat(_fired[0].End - 1, _lateness);
            if (_nextFireStart != long.MaxValue && fireAt <= cleanupAt && fireAt <= _watermark) FireNextWindow();
            else if (_firedCount > 0 && cleanupAt <= _watermark) ReleaseFirstFired();
            else break;
        }
        UpdateNextTimer();
    }

    private void FireNextWindow()
    {
        var start = _nextFireStart;
        var end = start + _size;
        ForgetCachedPanes();
        if (_size == _pane)
        {
            // Tumbling: the pane is the window; move it to the fired list as it is.
            if (_paneCount > 0 && _panes[0].Start == start)
            {
                var window = _panes[0];
                RemoveAt(_panes, ref _paneCount, 0);
                FireWindow(window);
            }
        }
        else
        {
            WindowBucket<TKey, TState, Hasher>? window = null;
            if (DenseWindow(start, end)) FireSlidingDense(start, end);   // emits the rows; nothing to keep
            else window = FireSlidingWindow(start, end);
            // Periodic: the window's revisions and pending changes move from the panes' bookkeeping to its table.
            if (_revCount > 0 || _emit == EmitMode.Periodic) CarryPeriodic(window, start, end);
            // Panes that end at or before the next window's start are needed by no later window.
            while (_paneCount > 0 && _panes[0].End <= start + _slide) Return(RemoveAt(_panes, ref _paneCount, 0));
            // No pane left: nothing the stacks hold is needed again; give their tables back now (gaps, end of input).
            if (_paneCount == 0) ResetStacks();
            if (window is not null) FireWindow(window);
            if (_emittedSuffix is not null)
            {
                // Last, so the next table rented (the next pane) is this one, read just now, not a released pane untouched since the flip.
                Return(_emittedSuffix);
                _emittedSuffix = null;
            }
        }
        // The next window to fire: the next slide, or jump to the earliest pane's first window.
        var next = start + _slide;
        if (_paneCount == 0) next = long.MaxValue;
        else
        {
            var firstForPane = SlidingWindows.FirstWindowStart(_panes[0].Start, _size, _slide, _offset);
            if (firstForPane > next) next = firstForPane;
        }
        _nextFireStart = next;
    }

    private void FireWindow(WindowBucket<TKey, TState, Hasher> window)
    {
        var i = _firedCount;
        while (i > 0 && _fired[i - 1].Start > window.Start) i--;
        Insert(ref _fired, ref _firedCount, i, window);
        // Revisions change: EmitAllMarking marks the entries dirty for an incremental checkpoint.
        if (_emit == EmitMode.OnWindowClose) EmitAllMarking(window, isFinal: _lateness == 0, changedOnly: false);
    }

    private void ReleaseFirstFired()
    {
        var window = RemoveAt(_fired, ref _firedCount, 0);
        // Final emits its only row here; the other modes close with a final revision, unless
        // OnWindowClose without lateness already marked its row final.
        if (!(_emit == EmitMode.OnWindowClose && _lateness == 0)) EmitFinalRows(window);   // WindowedAggregator.Emission.cs
        if (window.Spilled > 0 && !(_emit == EmitMode.OnWindowClose && _lateness == 0)) EmitSpilled(window);   // [spill]
        Return(window);
    }

    private void EmitChanged()
    {
        if (_size != _pane) EmitChangedSliding();   // panes are not windows (WindowedAggregator.Periodic.cs)
        else for (var b = 0; b < _paneCount; b++) EmitAllMarking(_panes[b], isFinal: false, changedOnly: true);
        for (var b = 0; b < _firedCount; b++) EmitAllMarking(_fired[b], isFinal: false, changedOnly: true);
        EmitChangedSessions();
    }

    private void UpdateNextTimer()
    {
        if (_session)
        {
            _nextTimerAt = SessionNextTimer();
            return;
        }
        var fireAt = _nextFireStart == long.MaxValue ? long.MaxValue : _nextFireStart + _size - 1;
        var cleanupAt = _firedCount == 0 ? long.MaxValue : AddSat(_fired[0].End - 1, _lateness);
        _nextTimerAt = Math.Min(fireAt, cleanupAt);
    }

    private void RunTimers()
    {
        if (_session) RunSessionTimers();
        else RunPaneTimers();
    }

    private WindowBucket<TKey, TState, Hasher> Rent(long start, long end)
    {
        var bucket = _pool.Count > 0 ? _pool.Pop() : NewBucket();
        bucket.Table.PrimeDeferred();   // the priming Return left for now, just before the table is written again
        bucket.Start = start;
        bucket.End = end;
        bucket.Spilled = 0;   // [spill]
        bucket.Touched = false;
        return bucket;
    }

    /// <summary>
    /// A new pooled bucket. Its table primes its slots with a key's first state (<c>EnablePriming</c>):
    /// the direct loop then takes a key's first event in a pane without a branch on it. Up front, the
    /// slots of the initial capacity, within 1 MiB of entries (what the keys expected would touch anyway);
    /// then, at each reuse, the slots the last window's keys took, written when the table is rented again
    /// (<see cref="Return"/> defers it, <see cref="Rent"/> writes it). Not with side state, whose handles are
    /// rented per key.
    /// </summary>
    private WindowBucket<TKey, TState, Hasher> NewBucket()
    {
        var table = new StateTable<TKey, WindowSlot<TState>, Hasher>(TSpec.Name, TSpec.StateFingerprint, _initialCapacity);
        if (StateTable<TKey, WindowSlot<TState>, Hasher>.SupportsDirect && !TSpec.HasSideState)
        {
            var first = default(WindowSlot<TState>);
            TSpec.Init(out first.Agg);
            table.EnablePriming(first, Math.Min(_initialCapacity, (1 << 20) / Unsafe.SizeOf<StateEntry<TKey, WindowSlot<TState>>>()));
        }
        return new WindowBucket<TKey, TState, Hasher>(table);
    }

    private void Return(WindowBucket<TKey, TState, Hasher> bucket)
    {
        if (ReferenceEquals(bucket, _lastPane)) _lastPane = null;
        if (ReferenceEquals(bucket, _olderPane)) _olderPane = null;
        if (TSpec.HasSideState)   // [side-state] the window's sketches go back to their pools with it
            foreach (ref var entry in bucket.Table) TSpec.ReleaseSide(_side!, ref entry.State.Agg);
        bucket.Table.ClearForReuse();   // primed when rented again (Rent)
        _pool.Push(bucket);
    }

    private static void Insert(ref WindowBucket<TKey, TState, Hasher>[] list, ref int count, int at, WindowBucket<TKey, TState, Hasher> bucket)
    {
        if (count == list.Length) Array.Resize(ref list, list.Length * 2);
        Array.Copy(list, at, list, at + 1, count - at);
        list[at] = bucket;
        count++;
    }

    private static WindowBucket<TKey, TState, Hasher> RemoveAt(WindowBucket<TKey, TState, Hasher>[] list, ref int count, int at)
    {
        Debug.Assert(at < count, "RemoveAt past the end");
        var bucket = list[at];
        count--;
        Array.Copy(list, at + 1, list, at, count - at);
        list[count] = null!;
        return bucket;
    }
}
