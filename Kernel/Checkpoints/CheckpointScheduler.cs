using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kernel.Checkpoints;

/// <summary>
/// Takes checkpoints on an interval and on demand: reserves an id, has the injector put the barrier
/// into the ring, and runs the coordinator. Triggers never overlap: an on-demand checkpoint waits
/// for one in flight, and an interval tick that finds one in flight waits for it too.
/// Disposing stops the interval and lets a checkpoint in flight run to its end (completed, or
/// aborted by the coordinator's timeout): it is never cancelled halfway, so the sinks' epoch it
/// covers is committed or discarded together with its manifest, never dropped by a stop.
/// </summary>
public sealed class CheckpointScheduler : IAsyncDisposable
{
    private readonly CheckpointCoordinator _coordinator;
    private readonly IBarrierInjector _injector;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _disposed;

    /// <summary>Creates a scheduler; call <see cref="Start"/> for interval checkpoints.</summary>
    /// <param name="coordinator">Runs each checkpoint.</param>
    /// <param name="injector">Puts barriers into the ring.</param>
    /// <param name="interval">Time between interval checkpoints.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="logger">Receives failures of interval checkpoints; null for none.</param>
    public CheckpointScheduler(CheckpointCoordinator coordinator, IBarrierInjector injector, TimeSpan interval, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentNullException.ThrowIfNull(injector);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _coordinator = coordinator;
        _injector = injector;
        _interval = interval;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Called after an aborted checkpoint, before the next one may start: the runtime rewinds here
    /// (restore the last complete checkpoint and replay), since sinks dropped the aborted epoch.
    /// </summary>
    public Func<CheckpointResult, CancellationToken, ValueTask>? OnAborted { get; set; }

    /// <summary>The result of the newest checkpoint this scheduler ran, or null.</summary>
    public CheckpointResult? LastResult { get; private set; }

    /// <summary>
    /// Test seam: called by <see cref="DisposeAsync"/> once it has stopped the interval (every
    /// callback of that cancellation has run) and before it waits for a checkpoint in flight. A test
    /// that holds a checkpoint open learns here that disposal did all it will do before that wait.
    /// </summary>
    internal Action? DisposeWaitingHook { get; set; }

    /// <summary>Starts taking a checkpoint every interval.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_loop is not null) throw new InvalidOperationException("the checkpoint scheduler is already started");
        _loop = RunLoopAsync(_stop.Token);
    }

    /// <summary>Takes a checkpoint now (after the one in flight, if any).</summary>
    /// <param name="cancellationToken">
    /// Cancels the wait for a checkpoint in flight and the checkpoint itself (which is then aborted:
    /// its sinks discard the epoch, and <see cref="OnAborted"/> is not called). Not the barrier's wait for room
    /// in the stream (<see cref="IBarrierInjector.InjectBarrierAsync"/>): the id is reserved by then.
    /// </param>
    /// <exception cref="ObjectDisposedException">The scheduler is disposed.</exception>
    public async Task<CheckpointResult> TriggerAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Disposed while this trigger waited for the gate: start nothing new.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var id = _coordinator.ReserveCheckpointId();
            var sequence = await _injector.InjectBarrierAsync(id).ConfigureAwait(false);
            var result = await _coordinator.OnBarrierInjectedAsync(id, sequence, cancellationToken).ConfigureAwait(false);
            LastResult = result;
            if (result.Outcome == CheckpointOutcome.Aborted && OnAborted is { } onAborted)
                await onAborted(result, cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Stops the interval loop and waits for a checkpoint in flight (interval or on demand) to
    /// complete or abort on its own; later triggers throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Only the wait for the next tick observes _stop; a checkpoint in flight is not cancelled.
        await _stop.CancelAsync().ConfigureAwait(false);
        DisposeWaitingHook?.Invoke();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        // An on-demand checkpoint in flight holds the gate: taking it waits for that checkpoint.
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        _gate.Release();
        _stop.Dispose();
        _gate.Dispose();
    }

    private async Task RunLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_interval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    // Not the stop token: a checkpoint that started runs to its end (see DisposeAsync).
                    await TriggerAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "an interval checkpoint failed; the next interval tries again");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
