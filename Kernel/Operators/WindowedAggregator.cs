using System.Runtime.CompilerServices;
using Kernel.Ring;
using Kernel.State;
using Kernel.Time;

namespace Kernel.Operators;

/// <summary>
/// Runs a keyed aggregation over event-time windows (tumbling, sliding by panes, session), with
/// bounded-out-of-orderness watermarks per source, allowed lateness, a late-events output and the
/// four emit modes. The semantics are stated in <c>docs/event-time.md</c>. The spec is a struct type
/// argument: filter, key, time and fold are inlined into the loop; the per-event path neither
/// allocates nor locks nor dispatches through an interface (except <see cref="EmitMode.EveryUpdate"/>,
/// which hands every update to the sink by definition).
/// </summary>
/// <remarks>
/// Single-threaded: the ring's processor (or the caller of <see cref="Apply"/>) owns it. State per
/// window lives in pooled <see cref="StateTable{TKey, TState, THasher}"/>s and is released once the
/// watermark passes <c>end − 1 + AllowedLateness</c>, so memory stays bounded on an endless stream.
/// </remarks>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TKey">The grouping key.</typeparam>
/// <typeparam name="TState">The running state per key and window.</typeparam>
/// <typeparam name="TRow">The output row.</typeparam>
/// <typeparam name="TSpec">The compiled aggregation (generated).</typeparam>
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> : IBatchHandler<TEvent>, IIdleHandler, IReplayBatchTarget<TEvent>, ILateEventCount
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    private readonly WindowSpec _window;
    private readonly long _size;
    private readonly long _slide;
    private readonly long _pane;
    private readonly long _offset;
    private readonly long _gap;
    private readonly long _lateness;
    private readonly long _outOfOrderness;
    private readonly EmitMode _emit;
    private readonly bool _session;
    private readonly bool _perRecord;
    private readonly long _watermarkIntervalMs;
    private readonly int _initialCapacity;

    private readonly IRowSink<TRow> _sink;
    private readonly ILateEventSink<TEvent>? _lateSink;
    private readonly IControlListener? _control;
    private readonly IClock _clock;
    private readonly WatermarkTracker _tracker;
    private readonly long[] _maxEventTime;
    private readonly bool _singleSource;
    private readonly SideState? _side;   // [side-state] sketches beside the tables; null unless TSpec.HasSideState

    // Apply's specialized loop (see ApplyPanes): one source, per-record watermarks, panes, Final or OnWindowClose
    // (Periodic marks changed slots and EveryUpdate emits per event: both take OnEvent).
    private readonly bool _paneFastPath;

    // True while journal replay feeds a batch: ApplyPanes then runs the loop's fully optimized copy
    // (ApplyPanesDirectReplayed), since a replay runs before tiered compilation has optimized the live one.
    private bool _replaying;

    // The combined watermark (mirrors _tracker.Current) and the smallest watermark at which a
    // window fires or is cleaned up: the per-event path compares the two and does nothing else.
    private long _watermark = long.MinValue;
    private long _nextTimerAt = long.MaxValue;
    private long _nextWatermarkTickMs;
    private long _nextEmitTickMs;

    private long _eventsSeen;
    private long _lateEvents;
    private long _rowsEmitted;

    /// <summary>Creates the operator.</summary>
    /// <param name="sink">Receives the emitted rows.</param>
    /// <param name="lateEvents">Receives late events (they are counted in <see cref="LateEvents"/> either way); may be null.</param>
    /// <param name="options">Runtime settings and overrides of the declared ones; null for the declared ones.</param>
    public WindowedAggregator(IRowSink<TRow> sink, ILateEventSink<TEvent>? lateEvents = null, WindowOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        options ??= new WindowOptions();
        var w = options.Resolve(TSpec.Window);
        Validate(w, options);
        // KRN0028 at run time: the declared mode may be Final and an override (WindowOptions.Emit) another.
        if (w.Kind == WindowKind.Session && w.Emit != EmitMode.Final && sink is IUpsertRowInput)
            OperatorThrowHelper.ThrowOption("Emit", (long)w.Emit, "must be Final for a session aggregation whose rows feed an UpsertAggregator: a session's start moves as it grows or merges, so its revisions would reach the downstream under new identities and the rows under the old ones would never be taken back (KRN0028)");
        _window = w;
        _session = w.Kind == WindowKind.Session;
        _size = w.Kind == WindowKind.None ? long.MaxValue : w.SizeMs;
        _slide = w.Kind == WindowKind.Tumbling ? w.SizeMs : w.SlideMs;
        _pane = w.Kind == WindowKind.Sliding ? SlidingWindows.PaneSize(w.SizeMs, w.SlideMs) : w.SizeMs;
        _offset = w.OffsetMs;
        _gap = w.GapMs;
        _lateness = w.AllowedLatenessMs;
        _outOfOrderness = w.MaxOutOfOrdernessMs;
        _emit = w.Emit;
        _perRecord = options.WatermarkAdvance == WatermarkAdvance.PerRecord;
        _watermarkIntervalMs = options.WatermarkIntervalMs;
        _initialCapacity = options.InitialCapacity;
        _sink = sink;
        _lateSink = lateEvents;
        _control = options.Control;
        _clock = options.Clock ?? SystemClock.Instance;
        var now = _clock.NowMs;
        _tracker = new WatermarkTracker(options.Sources, w.IdleTimeoutMs, now);
        _maxEventTime = new long[options.Sources];
        _singleSource = options.Sources == 1;
        _paneFastPath = _singleSource && _perRecord && !_session && _emit is EmitMode.Final or EmitMode.OnWindowClose;
        Array.Fill(_maxEventTime, long.MinValue);
        _nextWatermarkTickMs = now + _watermarkIntervalMs;
        _nextEmitTickMs = now + w.EmitIntervalMs;
        _panes = new WindowBucket<TKey, TState, Hasher>[8];
        _fired = new WindowBucket<TKey, TState, Hasher>[8];
        _heads = new StateTable<TKey, int, Hasher>(TSpec.Name, TSpec.StateFingerprint, _session ? _initialCapacity : 0, trackRemovals: false);
        if (TSpec.HasSideState) _side = TSpec.CreateSideState();   // [side-state]
        InitSpill(options);   // [spill] the state budget (WindowedAggregator.Spill.cs)
        for (var i = 0; i < options.PreallocatedWindows; i++)
            _pool.Push(NewBucket());
        PreallocateDense(options.PreallocatedWindows);
    }

    /// <summary>The effective window settings (declared, with the runtime overrides applied).</summary>
    public WindowSpec Window => _window;

    /// <summary>The combined event-time watermark (<see cref="long.MinValue"/> before any, <see cref="long.MaxValue"/> after end of input).</summary>
    public long Watermark => _watermark;

    /// <summary>Events seen (before the filter).</summary>
    public long EventsSeen => _eventsSeen;

    /// <summary>Events that were too late to change any result (handed to the late-events sink).</summary>
    public long LateEvents => Volatile.Read(ref _lateEvents);   // also read by a metrics listener's thread

    /// <summary>Rows handed to the sink.</summary>
    public long RowsEmitted => _rowsEmitted;

    /// <summary>The watermark tracker (per-source watermarks and idleness), for inspection.</summary>
    public WatermarkTracker Sources
    {
        get
        {
            SyncTracker();
            return _tracker;
        }
    }

    void IReplayBatchTarget<TEvent>.ApplyReplayed(ReadOnlySpan<TEvent> events)
    {
        // Picks the replay's copy of the pane loop (ApplyPanesDirectReplayed); the result is the same either way.
        _replaying = true;
        Apply(events);
        _replaying = false;
    }

    void IReplayBatchTarget<TEvent>.TickReplayed() => Tick();

    /// <summary>Processes a batch of events from source 0 (batch mode, no ring).</summary>
    public void Apply(ReadOnlySpan<TEvent> events)
    {
        // Batch mode feeds source 0: a batch is its activity, so an idle source 0 returns (as a ring event does).
        if (events.Length > 0 && _tracker.MarkActive(0, _clock.NowMs)) OnWatermarkMoved();
        if (_paneFastPath) ApplyPanes(events);
        else for (var i = 0; i < events.Length; i++) OnEvent(events[i], 0);
        _eventsSeen += events.Length;
    }

    /// <inheritdoc/>
    public void OnBatch(ReadOnlySpan<RingEntry<TEvent>> entries, long firstSequence)
    {
        var now = _clock.NowMs;
        var sources = _maxEventTime.Length;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            RingReadAhead.Hint(in entry);   // streamed slots come from memory
            if (entry.Kind == EntryKind.Event)
            {
                var source = entry.SourceId;
                if ((uint)source >= (uint)sources) OperatorThrowHelper.ThrowSourceId(source, sources);
                if (_tracker.MarkActive(source, now)) OnWatermarkMoved();   // only when an idle source returns
                _eventsSeen++;
                OnEvent(entry.Event, source);
            }
            else
            {
                OnControl(entry, firstSequence + i, now);
            }
        }
        OnProcessingTime(now);
    }

    /// <summary>
    /// Lets processing time act when no batch arrives: idle sources stop holding the watermark back,
    /// periodic watermarks and periodic emission run. The ring path calls this after every batch, and
    /// its processor on the operator's thread while the ring is quiet (<see cref="IIdleHandler"/>,
    /// <c>StreamKernelOptions.IdleInterval</c>). Call it only from the thread that feeds the operator
    /// (batch mode, tests): it is not safe beside a running ring processor.
    /// </summary>
    public void Tick() => OnProcessingTime(_clock.NowMs);

    /// <summary>The ring was quiet for the kernel's idle interval: processing time acts (see <see cref="Tick"/>).</summary>
    void IIdleHandler.OnIdle() => OnProcessingTime(_clock.NowMs);

    /// <summary>Advances a source's watermark by hand (a regression is ignored), firing what it completes.</summary>
    public void AdvanceWatermark(long watermark, int source = 0)
    {
        SyncTracker();
        if (_tracker.Advance(source, watermark)) OnWatermarkMoved();
    }

    /// <summary>
    /// End of input of a source (<paramref name="source"/> ≥ 0), or of every source (a negative value such as
    /// <see cref="SourceIds.All"/>, batch mode): once every source ended, the watermark is +∞ and every window fires.
    /// </summary>
    public void EndOfInput(int source = -1)
    {
        SyncTracker();
        if (source >= 0)
        {
            if (_tracker.EndOfInput(source)) OnWatermarkMoved();
            return;
        }
        var moved = false;
        for (var s = 0; s < _maxEventTime.Length; s++) moved |= _tracker.EndOfInput(s);
        if (moved) OnWatermarkMoved();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnEvent(in TEvent e, int source)
    {
        // Every event of a source moves its watermark, whether or not the filter keeps it.
        var t = TSpec.EventTime(e);
        if (TSpec.Filter(e))
        {
            if (_session) OnSessionEvent(e, t);
            else OnPaneEvent(e, t);
        }

        if (t > _maxEventTime[source])
        {
            _maxEventTime[source] = t;
            if (_perRecord)
            {
                var w = BoundedOutOfOrderness.WatermarkOf(t, _outOfOrderness);
                if (_singleSource)
                {
                    // One source: the combined watermark is its own (it just sent an event, so it is
                    // not idle). The tracker is brought up to date before anything reads it.
                    if (w > _watermark)
                    {
                        _watermark = w;
                        if (w >= _nextTimerAt) RunTimers();
                    }
                }
                else if (_tracker.Advance(source, w))
                {
                    OnWatermarkMoved();
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnControl(in RingEntry<TEvent> entry, long sequence, long now)
    {
        SyncTracker();
        var source = entry.SourceId;
        switch (entry.Kind)
        {
            case EntryKind.Watermark:
                CheckSource(source);
                var moved = _tracker.MarkActive(source, now);
                if (_tracker.Advance(source, entry.Value) | moved) OnWatermarkMoved();
                break;
            case EntryKind.Barrier:
                // A checkpoint barrier comes from the coordinator, not a source: it keeps no source active.
                _control?.OnBarrier(entry.Value, sequence);
                break;
            case EntryKind.EndOfInput:
                if (source == SourceIds.All)
                {
                    // Every source ends at once (StreamKernel.CompleteAsync): the watermark goes to +∞.
                    EndOfInput();
                }
                else
                {
                    CheckSource(source);
                    if (_tracker.EndOfInput(source)) OnWatermarkMoved();
                }
                _control?.OnEndOfInput(source, sequence);
                break;
        }
    }

    private void CheckSource(int source)
    {
        var sources = _maxEventTime.Length;
        if ((uint)source >= (uint)sources) OperatorThrowHelper.ThrowSourceId(source, sources);
    }

    private void OnProcessingTime(long now)
    {
        SyncTracker();
        if (!_perRecord && now >= _nextWatermarkTickMs)
        {
            _nextWatermarkTickMs = now + _watermarkIntervalMs;
            var moved = false;
            for (var s = 0; s < _maxEventTime.Length; s++)
                moved |= _maxEventTime[s] != long.MinValue && _tracker.Advance(s, BoundedOutOfOrderness.WatermarkOf(_maxEventTime[s], _outOfOrderness));
            if (moved) OnWatermarkMoved();
        }
        if (_tracker.CheckIdle(now)) OnWatermarkMoved();
        if (_emit == EmitMode.Periodic && now >= _nextEmitTickMs)
        {
            _nextEmitTickMs = now + _window.EmitIntervalMs;
            EmitChanged();
        }
    }

    /// <summary>With one source the per-record path moves <c>_watermark</c> without the tracker; catch it up.</summary>
    private void SyncTracker()
    {
        if (_singleSource && _watermark > _tracker.WatermarkOf(0) && _tracker.Current != long.MaxValue)
            _tracker.Advance(0, _watermark);
    }

    private void OnWatermarkMoved()
    {
        // Monotonic even if the tracker lags the single-source fast path.
        var w = _tracker.Current;
        if (w > _watermark) _watermark = w;
        if (_watermark >= _nextTimerAt) RunTimers();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnLate(in TEvent e, long t)
    {
        _lateEvents++;
        _lateSink?.OnLateEvent(e, t, _watermark);
    }

    private void Emit(in TKey key, ref WindowSlot<TState> slot, long start, long end, bool isFinal)
    {
        TSpec.ToRow(key, slot.Agg, start, end, out var row);
        if (TSpec.HasSideState) TSpec.SideToRow(_side!, slot.Agg, ref row);   // [side-state]
        var revision = new RowRevision(start, end, slot.Revision, isFinal, _watermark);
        slot.Revision++;
        slot.Changed = false;
        _rowsEmitted++;
        _sink.OnRow(row, revision);
    }

    /// <summary><c>a + b</c>, saturating at <see cref="long.MaxValue"/> (b ≥ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long AddSat(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static void Validate(in WindowSpec w, WindowOptions options)
    {
        if (w.Kind == WindowKind.None) OperatorThrowHelper.ThrowOption("Window.Kind", 0, "must be Tumbling, Sliding or Session for a windowed aggregator; use KeyedAggregator for an unwindowed one");
        if (w.Kind != WindowKind.Session && w.SizeMs <= 0) OperatorThrowHelper.ThrowOption("Window.SizeMs", w.SizeMs, "must be positive");
        if (w.Kind == WindowKind.Sliding && (w.SlideMs <= 0 || w.SlideMs > w.SizeMs)) OperatorThrowHelper.ThrowOption("Window.SlideMs", w.SlideMs, "must be positive and at most SizeMs");
        if (w.Kind == WindowKind.Session && w.GapMs <= 0) OperatorThrowHelper.ThrowOption("Window.GapMs", w.GapMs, "must be positive");
        if (w.MaxOutOfOrdernessMs < 0) OperatorThrowHelper.ThrowOption("MaxOutOfOrdernessMs", w.MaxOutOfOrdernessMs, "must not be negative");
        if (w.AllowedLatenessMs < 0) OperatorThrowHelper.ThrowOption("AllowedLatenessMs", w.AllowedLatenessMs, "must not be negative");
        if (w.IdleTimeoutMs < 0) OperatorThrowHelper.ThrowOption("IdleTimeoutMs", w.IdleTimeoutMs, "must not be negative");
        if (w.Emit == EmitMode.Periodic && w.EmitIntervalMs <= 0) OperatorThrowHelper.ThrowOption("EmitIntervalMs", w.EmitIntervalMs, "must be positive for Periodic emission");
        // [side-state] Sketches are not merged across panes or sessions yet: tumbling windows only.
        if (TSpec.HasSideState && (w.Kind == WindowKind.Session || (w.Kind == WindowKind.Sliding && w.SlideMs != w.SizeMs)))
            OperatorThrowHelper.ThrowOption("Window.Kind", (long)w.Kind, "must be Tumbling for an aggregation with [DistinctCount]/[Sample] members (sketches are not merged across panes or sessions yet)");
        if (options.Sources < 1) OperatorThrowHelper.ThrowOption("Sources", options.Sources, "must be at least 1");
        if (options.PreallocatedWindows < 0) OperatorThrowHelper.ThrowOption("PreallocatedWindows", options.PreallocatedWindows, "must not be negative");
        if (options.WatermarkIntervalMs <= 0) OperatorThrowHelper.ThrowOption("WatermarkIntervalMs", options.WatermarkIntervalMs, "must be positive");
    }

    /// <summary>True when this operator type's direct pane tables are lined (one cache line per key's hot fields); for tests.</summary>
    internal static bool PaneTablesLined => StateTable<TKey, WindowSlot<TState>, Hasher>.LinesDirectEntries;

    /// <summary>The spec's key hash, as the state tables' hasher (nested, so it is specialized with the operator).</summary>
    private readonly struct Hasher : IKeyHasher<TKey>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Hash(in TKey key) => TSpec.HashKey(key);

        /// <summary>Integer keys may index the tables directly while they are dense.</summary>
        public static bool DirectIndex => true;

        /// <summary>
        /// The aggregate's hot prefix (<see cref="IAggregationSpec{TEvent, TKey, TState, TRow}.StateHotBytes"/>): a
        /// window slot starts with its aggregate, so a direct pane table of a state whose hot fields fit one cache
        /// line keeps each slot's on one (lined entries, see StateTable's remarks). Tables of other values (the
        /// session heads' ints) are small enough to stay packed whatever this says.
        /// </summary>
        public static int DirectHotBytes => TSpec.StateHotBytes;
    }
}
