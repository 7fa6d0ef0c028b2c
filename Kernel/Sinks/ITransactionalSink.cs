namespace Kernel.Sinks;

/// <summary>
/// A sink the pipeline writes rows to, one thread at a time, and that publishes them only when the
/// checkpoint covering them completes.
/// </summary>
/// <typeparam name="TRow">The row type.</typeparam>
public interface ITransactionalSink<TRow> : ICheckpointSink
{
    /// <summary>Stages a row in the open epoch. Called by the writer thread only.</summary>
    void Write(in TRow row);

    /// <summary>
    /// Called by the writer thread when the barrier of checkpoint <paramref name="epoch"/> reaches
    /// it: every row written so far belongs to that epoch, every later row to the next. Cheap (no
    /// fsync); <see cref="ICheckpointSink.PreCommitAsync"/> later makes the epoch durable on another thread.
    /// </summary>
    void SealEpoch(long epoch);
}
