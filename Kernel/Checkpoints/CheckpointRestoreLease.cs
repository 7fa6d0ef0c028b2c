namespace Kernel.Checkpoints;

/// <summary>
/// Keeps a checkpoint's directory from being pruned while a restore (or a savepoint copy) reads it.
/// Dispose it when the read is done. Leases on the same id nest.
/// </summary>
public sealed class CheckpointRestoreLease : IDisposable
{
    private readonly CheckpointStore _store;

    // 0 while held, 1 once released; Interlocked so a double Dispose releases once.
    private int _released;

    internal CheckpointRestoreLease(CheckpointStore store, long checkpointId)
    {
        _store = store;
        CheckpointId = checkpointId;
    }

    /// <summary>The checkpoint this lease protects.</summary>
    public long CheckpointId { get; }

    /// <summary>Releases the lease.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _store.ReleaseLease(CheckpointId);
    }
}
