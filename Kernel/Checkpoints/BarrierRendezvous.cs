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
    // Checkpoint id -> the meeting point. Guarded by _lock (one Arrive and one Wait per checkpoint).
    private readonly Lock _lock = new();
    private readonly Dictionary<long, TaskCompletionSource<TSnapshot>> _slots = [];

    /// <summary>The number of checkpoints with a slot open (for tests and diagnostics).</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock) return _slots.Count;
        }
    }

    /// <summary>
    /// Called by the pipeline thread when barrier <paramref name="checkpointId"/> reaches it. Slots of
    /// older checkpoints that arrived but were never collected (aborted before the coordinator asked) are dropped.
    /// </summary>
    public void Arrive(long checkpointId, TSnapshot snapshot)
    {
        TaskCompletionSource<TSnapshot> slot;
        lock (_lock)
        {
            slot = GetOrAdd(checkpointId);
            if (_slots.Count > 1)
            {
                foreach (var (id, stale) in _slots)
                    if (id < checkpointId && stale.Task.IsCompleted) _slots.Remove(id);
            }
        }
        if (!slot.TrySetResult(snapshot))
            throw new InvalidOperationException($"barrier {checkpointId} arrived twice at the same rendezvous");
    }

    /// <summary>Waits until barrier <paramref name="checkpointId"/> arrived and returns what was captured at it.</summary>
    public async ValueTask<TSnapshot> WaitAsync(long checkpointId, CancellationToken cancellationToken)
    {
        TaskCompletionSource<TSnapshot> slot;
        lock (_lock) slot = GetOrAdd(checkpointId);
        try
        {
            return await slot.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Forget(checkpointId);
        }
    }

    /// <summary>Drops the slot of <paramref name="checkpointId"/> (from <see cref="ICheckpointParticipant.AbortAsync"/>).</summary>
    public void Forget(long checkpointId)
    {
        lock (_lock) _slots.Remove(checkpointId);
    }

    private TaskCompletionSource<TSnapshot> GetOrAdd(long checkpointId)
    {
        if (!_slots.TryGetValue(checkpointId, out var slot))
        {
            slot = new TaskCompletionSource<TSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
            _slots.Add(checkpointId, slot);
        }
        return slot;
    }
}
