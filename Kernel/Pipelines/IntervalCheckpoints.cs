using Kernel.Checkpoints;
using Microsoft.Extensions.Logging;

namespace Kernel.Pipelines;

/// <summary>
/// Triggers a checkpoint every interval through a <see cref="CheckpointScheduler"/> (which keeps
/// them one at a time). Unlike the scheduler's own loop it can stop without cancelling the
/// checkpoint in flight: a cancelled checkpoint aborts, and an abort makes the sinks drop that
/// epoch's rows, which a pipeline that goes on to its final checkpoint must not lose.
/// </summary>
internal sealed class IntervalCheckpoints : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<CheckpointResult>> _trigger;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly Func<bool> _faulted;
    private readonly CancellationTokenSource _stopTicks = new();
    private readonly CancellationTokenSource _abortInFlight = new();
    private Task? _loop;

    /// <param name="trigger">Takes one checkpoint (through a <see cref="CheckpointScheduler"/>).</param>
    /// <param name="interval">Time between checkpoints.</param>
    /// <param name="logger">Receives failed checkpoints.</param>
    /// <param name="faulted">True once the pipeline faulted: no further checkpoint is tried.</param>
    public IntervalCheckpoints(Func<CancellationToken, Task<CheckpointResult>> trigger, TimeSpan interval, ILogger logger, Func<bool> faulted)
    {
        _faulted = faulted;
        _trigger = trigger;
        _interval = interval;
        _logger = logger;
    }

    public void Start() => _loop = RunAsync();

    /// <summary>For tests: called by <see cref="StopAsync"/> once it has stopped the ticks (and cancelled the checkpoint in flight, if told to), before it waits for the loop.</summary>
    internal Action? StopWaitingHook { get; set; }

    /// <summary>Stops ticking and waits for the loop; with <paramref name="abortInFlight"/> the checkpoint in flight is cancelled (aborted), otherwise it completes.</summary>
    public async Task StopAsync(bool abortInFlight)
    {
        await _stopTicks.CancelAsync().ConfigureAwait(false);
        if (abortInFlight) await _abortInFlight.CancelAsync().ConfigureAwait(false);
        StopWaitingHook?.Invoke();
        if (_loop is not null) await _loop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(abortInFlight: true).ConfigureAwait(false);
        _stopTicks.Dispose();
        _abortInFlight.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopTicks.Token).ConfigureAwait(false))
            {
                try
                {
                    await _trigger(_abortInFlight.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_abortInFlight.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    if (_faulted()) return;
                    _logger.LogError(e, "an interval checkpoint failed; the next interval tries again");
                }
                if (_faulted()) return;
            }
        }
        catch (OperationCanceledException) when (_stopTicks.IsCancellationRequested)
        {
        }
    }
}
