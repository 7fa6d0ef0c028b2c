namespace Kernel.Checkpoints;

/// <summary>
/// A participant that does work on a pipeline thread at a barrier (the checkpoint's pause) and can
/// make that work cheaper beforehand, off the hot path. The coordinator calls
/// <see cref="PrepareForBarrier"/> from <see cref="CheckpointCoordinator.ReserveCheckpointId"/>, on
/// the thread about to inject the barrier.
/// </summary>
/// <remarks>
/// Why it exists: on a VM with shadow paging (or after the kernel reclaimed page-table entries), the
/// first store into each page of a buffer that sat unused between two barriers can take several
/// microseconds; a capture buffer of a few hundred pages then adds milliseconds to the pause. A
/// store by another thread shortly before the barrier maps the pages again for the pipeline thread.
/// </remarks>
internal interface IBarrierPreparation
{
    /// <summary>
    /// Gets ready for the barrier of <paramref name="checkpointId"/>, about to be injected. Runs
    /// concurrently with the pipeline thread: must not change anything that thread reads or writes.
    /// </summary>
    void PrepareForBarrier(long checkpointId);
}
