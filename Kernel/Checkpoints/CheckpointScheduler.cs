using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kernel.Checkpoints;

/// <summary>
/// Takes checkpoints on an interval and on demand: reserves an id, has the injector put the barrier
/// into the ring, and runs the coordinator. Triggers never overlap: an on-demand checkpoint waits
/// for one in flight, and an interval tick that finds one in flight waits for it too.
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

    /// <summary>Starts taking a checkpoint every interval.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException("the checkpoint scheduler is already started");
        _loop = RunLoopAsync(_stop.Token);
    }

    /// <summary>Takes a checkpoint now (after the one in flight, if any).</summary>
    public async Task<CheckpointResult> TriggerAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var id = _coordinator.ReserveCheckpointId();
            var sequence = _injector.InjectBarrier(id);
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

    /// <summary>Stops the interval loop and waits for a checkpoint in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
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
                    await TriggerAsync(stop).ConfigureAwait(false);
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
