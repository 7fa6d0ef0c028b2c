namespace Kernel.Checkpoints;

/// <summary>
/// Meets a pipeline thread that reached a barrier with the participant's
/// <see cref="ICheckpointParticipant.SnapshotAsync"/>, whichever gets there first. The pipeline
/// thread (a ring handler) calls <see cref="Arrive"/> in its barrier branch with what it captured —
/// the only work done on the hot path, which is the checkpoint's pause — and goes on; the
/// participant awaits <see cref="WaitAsync"/> and writes the capture to the checkpoint directory off
/// the hot path.
/// </summary>
/// <typeparam name="TSnapshot">What the pipeline thread hands over (a copy of dirty entries, a durable offset…).</typeparam>
/// <remarks>
/// The barrier can reach a handler before the coordinator calls the participant (the runtime
/// publishes the barrier first), so the slot for a checkpoint is made by whichever side comes
/// first. Arrive never blocks and never runs the participant's continuation inline.
/// </remarks>
public sealed class BarrierRendezvous<TSnapshot>
{
    // Guarded by _lock (one Arrive and one Wait per checkpoint). A checkpoint's capture that arrives
    // before anyone waits is parked by value in _arrived (no allocation on the pipeline thread once the
    // dictionary has room); a waiter that comes first leaves a completion source in _waiting.
    private readonly Lock _lock = new();
    private readonly Dictionary<long, TaskCompletionSource<TSnapshot>> _waiting = [];
    private readonly Dictionary<long, TSnapshot> _arrived = [];

    /// <summary>The number of checkpoints with a slot open (for tests and diagnostics).</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock) return _waiting.Count + _arrived.Count;
        }
    }

    /// <summary>
    /// Called by the pipeline thread when barrier <paramref name="checkpointId"/> reaches it. Captures
    /// of older checkpoints that arrived but were never collected (aborted before the coordinator asked)
    /// are dropped. Allocates nothing when it comes before the wait (the usual order).
    /// </summary>
    public void Arrive(long checkpointId, TSnapshot snapshot)
    {
        TaskCompletionSource<TSnapshot>? waiter;
        bool twice;
        lock (_lock)
        {
            if (_waiting.TryGetValue(checkpointId, out waiter))
            {
                twice = waiter.Task.IsCompleted;
            }
            else
            {
                twice = !_arrived.TryAdd(checkpointId, snapshot);
                if (!twice && _arrived.Count > 1)
                {
                    foreach (var (id, _) in _arrived)
                        if (id < checkpointId) _arrived.Remove(id);
                }
            }
        }
        if (twice || (waiter is not null && !waiter.TrySetResult(snapshot)))
            ThrowArrivedTwice(checkpointId);
    }

    /// <summary>Waits until barrier <paramref name="checkpointId"/> arrived and returns what was captured at it.</summary>
    public ValueTask<TSnapshot> WaitAsync(long checkpointId, CancellationToken cancellationToken)
    {
        TaskCompletionSource<TSnapshot>? slot;
        lock (_lock)
        {
            if (_arrived.Remove(checkpointId, out var arrived)) return ValueTask.FromResult(arrived);
            if (!_waiting.TryGetValue(checkpointId, out slot))
            {
                slot = new TaskCompletionSource<TSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add(checkpointId, slot);
            }
        }
        return WaitForArrivalAsync(checkpointId, slot, cancellationToken);
    }

    /// <summary>Drops the slot of <paramref name="checkpointId"/> (from <see cref="ICheckpointParticipant.AbortAsync"/>).</summary>
    public void Forget(long checkpointId)
    {
        lock (_lock)
        {
            _waiting.Remove(checkpointId);
            _arrived.Remove(checkpointId);
        }
    }

    private async ValueTask<TSnapshot> WaitForArrivalAsync(long checkpointId, TaskCompletionSource<TSnapshot> slot, CancellationToken cancellationToken)
    {
        try
        {
            return await slot.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Forget(checkpointId);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowArrivedTwice(long checkpointId) =>
        throw new InvalidOperationException($"barrier {checkpointId} arrived twice at the same rendezvous");
}
