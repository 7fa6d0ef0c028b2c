using Kernel.Checkpoints;
using Kernel.Journal;
using Kernel.Ring;
using Kernel.Runtime;
using Kernel.Sinks;
using Kernel.Sources;
using Kernel.Storage.Log;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kernel.Pipelines;

/// <summary>
/// A stream pipeline that survives being killed at any instant with exactly-once committed output:
/// <code>
///  source ─► ring ─► journal (first: every event, with its source position) ─► operator ─► transactional sinks
///                  ▲ barrier N every interval (CheckpointScheduler)
///  at barrier N: journal records its offset · operator copies its changed state and seals its sinks' epoch
///  then, off the pipeline's threads: journal flush through N · state changes into the LSM store (data/state/) and its checkpoint
///        · sink pre-commit · manifest N (the commit point) · sink commit of epoch N
/// </code>
/// Start (<see cref="StartAsync"/>) on an existing data directory recovers: newest complete
/// checkpoint → the operator's state → replay of the journal after the checkpoint's offset through
/// the operator (not journaled again) → each source resumes after the last event the journal holds
/// (<see cref="PipelineRecovery.ResumePosition"/>). <see cref="CompleteAsync"/> ends the input: every
/// source's watermark goes to +∞, a final checkpoint commits everything, the kernel drains.
/// </summary>
/// <remarks>
/// The pipeline is the source's <see cref="ISourceTarget{T}"/> (source 0; <see cref="SourceTarget"/> for
/// the others); the source threads and the checkpoint scheduler all publish into the ring, so it is a
/// multi-producer ring. A checkpoint that
/// aborts faults the pipeline (the next publish throws): the sinks dropped that epoch, and the way
/// back is a restart, which recovers from the last complete checkpoint.
/// </remarks>
/// <typeparam name="TEvent">The event type.</typeparam>
/// <typeparam name="TTime">Reads an event's time for the journal's timestamps.</typeparam>
public sealed class DurablePipeline<TEvent, TTime> : ISourceTarget<TEvent>, IBarrierInjector, IAsyncDisposable
    where TEvent : unmanaged
    where TTime : struct, IEventTimestamp<TEvent>
{
    private const string JournalName = "journal";
    private readonly DurablePipelineOptions _options;
    private readonly ILogger _logger;
    private readonly List<ICheckpointSink> _sinks = [];
    private string? _operatorName;
    private IBatchHandler<TEvent>? _operator;
    private OperatorParticipant? _operatorParticipant;
    private SegmentedLog? _log;
    private JournalParticipant<TEvent, TTime>? _journal;
    private CheckpointCoordinator? _coordinator;
    private CheckpointStore? _store;
    private CheckpointScheduler? _scheduler;
    private StreamKernel<TEvent>? _kernel;
    private IntervalCheckpoints? _intervals;

    /// <summary>For tests, set before <c>StartAsync</c>: called when stopping the interval checkpoints has stopped their ticks and waits for the one in flight.</summary>
    internal Action? IntervalStopWaitingHook { get; set; }
    // Set when CompleteAsync stops the interval checkpoints; on-demand ones are refused from then on.
    private bool _completing;
    // Journal offsets of the checkpoints completed by this process, oldest first (at most KeepCheckpoints).
    private readonly Queue<long> _completedOffsets = new();
    // Set once by an aborted checkpoint (scheduler thread), read by the source thread: Volatile.
    private Exception? _fault;

    /// <summary>Creates the pipeline; add the operator and sinks, then <see cref="StartAsync"/>.</summary>
    public DurablePipeline(DurablePipelineOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The kernel (after <see cref="StartAsync"/>).</summary>
    public StreamKernel<TEvent> Kernel => _kernel ?? throw NotStarted();

    /// <summary>The checkpoint coordinator (after <see cref="StartAsync"/>): stats of the last checkpoint.</summary>
    public CheckpointCoordinator Coordinator => _coordinator ?? throw NotStarted();

    /// <summary>The journal (after <see cref="StartAsync"/>).</summary>
    public JournalHandler<TEvent, TTime> Journal => _journal?.Handler ?? throw NotStarted();

    /// <summary>
    /// Sets the operator: a ring handler that runs after the journal, created with
    /// <paramref name="participant"/> as its control listener and bound to it.
    /// </summary>
    public void SetOperator(string name, IBatchHandler<TEvent> handler, OperatorParticipant participant)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(participant);
        if (_operator is not null) throw new InvalidOperationException("the pipeline already has an operator");
        if (name == JournalName) throw new ArgumentException($"'{JournalName}' is the journal's name", nameof(name));
        _ = participant.Operator; // bound, or throws naming the participant
        (_operatorName, _operator, _operatorParticipant) = (name, handler, participant);
    }

    /// <summary>Adds a sink the operator writes to: pre-committed and committed with every checkpoint, recovered on start.</summary>
    public void AddSink(ICheckpointSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_coordinator is not null) throw new InvalidOperationException("sinks are added before StartAsync");
        _sinks.Add(sink);
    }

    /// <summary>
    /// Opens the journal and the checkpoint store, recovers (restore, sinks settle, journal replay)
    /// and starts the kernel and the interval checkpoints. Resume each source at
    /// <see cref="PipelineRecovery.ResumePosition"/> of the result.
    /// </summary>
    public async Task<PipelineRecovery> StartAsync(CancellationToken cancellationToken)
    {
        if (_operator is null || _operatorParticipant is null) throw new InvalidOperationException("set the operator before StartAsync");
        if (_coordinator is not null) throw new InvalidOperationException("the pipeline was already started");
        Directory.CreateDirectory(_options.DataDirectory);
        _log = SegmentedLog.Open(_options.JournalDirectory, new LogOptions
        {
            PayloadFingerprint = JournalRecord.Fingerprint<TEvent>(_options.EventLayoutFingerprint),
            SegmentBytes = _options.JournalSegmentBytes,
            // Whole segments below the retention floor go on each roll; the floor (0 until enough
            // checkpoints completed) keeps everything a kept checkpoint may replay.
            RetentionBytes = _options.TruncateJournal ? 1 : 0,
        });
        // The journal's snapshot flushes the log off the journal's thread (FlushAtBarriers says why).
        _journal = new JournalParticipant<TEvent, TTime>(JournalName, new JournalHandler<TEvent, TTime>(_log, _options.EventLayoutFingerprint) { FlushAtBarriers = false }, _log);
        var store = _store = new CheckpointStore(_options.DataDirectory, _logger);
        _coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = _options.KeepCheckpoints, Timeout = _options.CheckpointTimeout }, _logger);
        if (_options.IncrementalCheckpoints) _operatorParticipant.EnableIncremental(Path.Combine(_options.StateDirectory, _operatorName!));
        _coordinator.Register(_journal);
        _coordinator.Register(_operatorParticipant);
        foreach (var sink in _sinks) _coordinator.RegisterSink(sink);

        var load = await _coordinator.RecoverAsync(cancellationToken).ConfigureAwait(false);
        var from = _journal.RestoredOffset;
        var positions = new Dictionary<int, long>(_journal.RestoredPositions);
        if (load.Manifest is null && _options.RestoreFromSavepoint is { } savepointDirectory)
        {
            var savepoint = Savepoint.Read(savepointDirectory);
            var migration = await _operatorParticipant.RestoreFromSavepointAsync(savepoint, savepointDirectory, cancellationToken).ConfigureAwait(false);
            foreach (var (source, position) in savepoint.SourcePositions) positions[source] = position;
            _logger.LogInformation("started from savepoint {Directory} (checkpoint {Id}){Migration}", savepointDirectory, savepoint.CheckpointId,
                migration is null ? "" : $"; state migrated: added [{string.Join(", ", migration.Added)}], dropped [{string.Join(", ", migration.Dropped)}]");
        }
        var replayed = JournalReplay.Run(_log, from, _operator, positions);
        foreach (var (source, position) in positions) _journal.SeedPosition(source, position);
        if (load.Manifest is not null || replayed > 0)
            _logger.LogInformation("recovered from checkpoint {Id}: replayed {Events} journaled events from offset {Offset}",
                load.Manifest?.CheckpointId ?? 0, replayed, from);

        _kernel = new StreamKernel<TEvent>(new StreamKernelOptions { Name = _options.Name, RingSize = _options.RingSize, ProducerType = ProducerType.Multi });
        _kernel.AddHandler(JournalName, _journal);
        _kernel.AddHandler(_operatorName!, _operator, JournalName);
        _kernel.Start();
        _scheduler = new CheckpointScheduler(_coordinator, this, _options.CheckpointInterval, logger: _logger) { OnAborted = OnAborted };
        _intervals = new IntervalCheckpoints(TriggerAsync, _options.CheckpointInterval, _logger, () => Volatile.Read(ref _fault) is not null)
        {
            StopWaitingHook = IntervalStopWaitingHook,
        };
        _intervals.Start();
        return new PipelineRecovery(load.Manifest?.CheckpointId ?? 0, from, replayed, positions, load.Diagnostics);
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(ReadOnlyMemory<TEvent> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken) =>
        PublishAsync(events, positions, 0);

    /// <summary>
    /// A target through which a source publishes as source <paramref name="sourceId"/> (0 … <see cref="DurablePipelineOptions.Sources"/> − 1):
    /// its events are journaled with that id and their positions, and it resumes at
    /// <see cref="PipelineRecovery.ResumePosition"/>(<paramref name="sourceId"/>). The pipeline itself is source 0's target.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is not a source of the pipeline.</exception>
    public ISourceTarget<TEvent> SourceTarget(int sourceId)
    {
        if ((uint)sourceId >= (uint)_options.Sources)
            throw new ArgumentOutOfRangeException(nameof(sourceId), sourceId, $"Source id {sourceId} is not in [0, {_options.Sources}); raise {nameof(DurablePipelineOptions)}.{nameof(DurablePipelineOptions.Sources)}.");
        return new SourceIdTarget(this, sourceId);
    }

    private sealed class SourceIdTarget(DurablePipeline<TEvent, TTime> pipeline, int sourceId) : ISourceTarget<TEvent>
    {
        public ValueTask PublishAsync(ReadOnlyMemory<TEvent> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken) =>
            pipeline.PublishAsync(events, positions, sourceId);
    }

    private ValueTask PublishAsync(ReadOnlyMemory<TEvent> events, ReadOnlyMemory<long> positions, int sourceId)
    {
        ThrowIfFaulted();
        var ring = Kernel.Ring;
        var chunk = Math.Min(ring.BufferSize, 1024);
        var e = events.Span;
        var p = positions.Span;
        for (var at = 0; at < e.Length; at += chunk)
        {
            // Part of this publish is in the ring (and maybe journaled), the rest is not.
            if (at > 0) CrashPoints.Hit("mid-batch");
            var n = Math.Min(chunk, e.Length - at);
            PublishChunk(ring, e.Slice(at, n), p.Slice(at, n), sourceId);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Puts barrier <paramref name="checkpointId"/> into the ring, waiting for room on this thread, and returns its sequence.</summary>
    /// <exception cref="InvalidOperationException">An earlier checkpoint aborted: no later one may commit without its epoch.</exception>
    public long InjectBarrier(long checkpointId)
    {
        ThrowIfFaulted();
        // Through the kernel, so that its EventsPublished does not count the barrier as an event.
        return Kernel.PublishControl(EntryKind.Barrier, checkpointId, 0);
    }

    /// <summary>
    /// <see cref="InjectBarrier"/> waiting for room in the ring without blocking a thread (the scheduler's form).
    /// </summary>
    /// <exception cref="InvalidOperationException">An earlier checkpoint aborted, or the kernel halted while waiting for room.</exception>
    public ValueTask<long> InjectBarrierAsync(long checkpointId)
    {
        ThrowIfFaulted();
        return Kernel.PublishControlAsync(EntryKind.Barrier, checkpointId, 0, CancellationToken.None);
    }

    /// <summary>Takes a checkpoint now (after the one in flight, if any), besides the interval ones.</summary>
    /// <exception cref="InvalidOperationException">The pipeline is not started, or is completing.</exception>
    public Task<CheckpointResult> CheckpointAsync(CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        if (_scheduler is null || _completing) throw new InvalidOperationException("the pipeline is not running: checkpoints are taken between StartAsync and CompleteAsync");
        return TriggerAsync(cancellationToken);
    }

    /// <summary>
    /// Takes a checkpoint now and writes it as a savepoint to <paramref name="directory"/> (which must
    /// not exist): a self-contained copy of the operator's state, its state layout and the source
    /// positions, which a new process (and a new build) starts from with
    /// <see cref="DurablePipelineOptions.RestoreFromSavepoint"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The pipeline is not running, or the checkpoint did not complete.</exception>
    public async Task<Savepoint> SavepointAsync(string directory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var result = await CheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (result.Outcome != CheckpointOutcome.Completed)
            throw new InvalidOperationException($"the savepoint's checkpoint {result.CheckpointId} did not complete: {result.Failure?.Message}", result.Failure);
        return Savepoint.Write(_store!, result.CheckpointId, [_operatorParticipant!], directory);
    }

    /// <summary>
    /// Ends the input: moves every source's watermark to +∞ (every window fires), stops the interval
    /// checkpoints, takes a final checkpoint that commits every sink, and drains the kernel.
    /// </summary>
    /// <exception cref="InvalidOperationException">The final checkpoint failed, or an earlier one aborted.</exception>
    /// <exception cref="OperationCanceledException">
    /// Cancelled: while the watermarks waited for room in the ring (the sources published before the cancel are at +∞ already,
    /// which a later call repeats harmlessly: a watermark never moves back), or during the final checkpoint or the drain.
    /// </exception>
    public async Task<CheckpointResult> CompleteAsync(CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        var kernel = Kernel;
        for (var s = 0; s < _options.Sources; s++) await kernel.PublishWatermarkAsync(long.MaxValue, s, cancellationToken).ConfigureAwait(false);
        _completing = true;
        // Let a checkpoint in flight finish: cancelling it would abort it and drop its epoch's rows.
        if (_intervals is not null) await _intervals.StopAsync(abortInFlight: false).ConfigureAwait(false);
        ThrowIfFaulted();
        var result = await TriggerAsync(cancellationToken).ConfigureAwait(false);
        if (result.Outcome != CheckpointOutcome.Completed || result.Failure is not null)
            throw new InvalidOperationException($"the final checkpoint {result.CheckpointId} did not commit: {result.Failure?.Message}", result.Failure);
        await kernel.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Stops the checkpoints and the kernel (draining what was published) and closes the journal.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_intervals is not null) await _intervals.DisposeAsync().ConfigureAwait(false);
        if (_scheduler is not null) await _scheduler.DisposeAsync().ConfigureAwait(false);
        if (_kernel is not null) await _kernel.DisposeAsync().ConfigureAwait(false);
        _log?.Dispose();
        // The operator's state store (incremental checkpoints), opened by this pipeline's checkpoints.
        if (_coordinator is not null) _operatorParticipant?.CloseStore();
    }

    private async Task<CheckpointResult> TriggerAsync(CancellationToken cancellationToken)
    {
        var result = await _scheduler!.TriggerAsync(cancellationToken).ConfigureAwait(false);
        if (result.Outcome == CheckpointOutcome.Completed && result.Manifest is { } manifest)
        {
            // Scheduler calls never overlap, so the queue has one writer at a time.
            _completedOffsets.Enqueue(manifest.JournalOffset);
            while (_completedOffsets.Count > _options.KeepCheckpoints) _completedOffsets.Dequeue();
            // The oldest checkpoint kept is the last a fallback may restore: the journal keeps what it replays.
            if (_completedOffsets.Count == _options.KeepCheckpoints) _log!.RetentionFloor = _completedOffsets.Peek();
        }
        return result;
    }

    private static void PublishChunk(RingBuffer<TEvent> ring, ReadOnlySpan<TEvent> events, ReadOnlySpan<long> positions, int sourceId)
    {
        using var batch = ring.Claim(events.Length);
        for (var i = 0; i < events.Length; i++)
        {
            ref var slot = ref batch[i];
            slot.SourceId = sourceId;
            slot.Value = positions[i];
            slot.Event = events[i];
        }
        batch.Publish();
    }

    private ValueTask OnAborted(CheckpointResult result, CancellationToken cancellationToken)
    {
        var fault = new InvalidOperationException(
            $"checkpoint {result.CheckpointId} aborted ({result.Failure?.Message}); the sinks dropped its epoch, so the pipeline stops: start it again to recover from the last complete checkpoint",
            result.Failure);
        Interlocked.CompareExchange(ref _fault, fault, null);
        _logger.LogError(fault, "pipeline {Name} faulted", _options.Name);
        return ValueTask.CompletedTask;
    }

    private void ThrowIfFaulted()
    {
        if (Volatile.Read(ref _fault) is { } fault) throw new InvalidOperationException(fault.Message, fault);
        if (_kernel is { Completion.IsFaulted: true } kernel) throw new InvalidOperationException($"pipeline {_options.Name}: a handler failed", kernel.Completion.Exception);
    }

    private static InvalidOperationException NotStarted() => new("the pipeline is not started; call StartAsync first");
}
