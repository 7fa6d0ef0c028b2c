namespace Kernel.Sinks;

/// <summary>
/// The two-phase side of an exactly-once sink, driven by the checkpoint coordinator. The epoch of a
/// checkpoint's output is the checkpoint id. Per epoch: rows are written (staged, invisible), the
/// epoch is pre-committed at the barrier (made durable, still invisible), then committed once the
/// checkpoint's manifest is written (made visible), or aborted if the checkpoint fails (discarded).
/// </summary>
/// <remarks>
/// An abort leaves the sink without the epoch's rows: the runtime must rewind to the last complete
/// checkpoint (restore and replay, the same path as crash recovery) before it produces more, or
/// those rows are lost. Commit and abort are idempotent; commit of epoch N also commits any earlier
/// pre-committed epoch still pending (a commit that failed is retried by the next one).
/// </remarks>
public interface ICheckpointSink
{
    /// <summary>The sink's name: unique per pipeline, recorded in the manifest's sink epochs.</summary>
    string Name { get; }

    /// <summary>
    /// Makes epoch <paramref name="epoch"/> durable and ready to commit. The epoch holds every row
    /// written before the barrier: either sealed earlier at the barrier by the writer
    /// (<see cref="ITransactionalSink{TRow}.SealEpoch"/>), or, if not, everything written so far,
    /// which requires that no write runs concurrently with this call.
    /// </summary>
    ValueTask PreCommitAsync(long epoch, CancellationToken cancellationToken);

    /// <summary>Makes every pre-committed epoch up to <paramref name="epoch"/> visible, in order.</summary>
    ValueTask CommitAsync(long epoch, CancellationToken cancellationToken);

    /// <summary>Discards epoch <paramref name="epoch"/>'s rows.</summary>
    ValueTask AbortAsync(long epoch, CancellationToken cancellationToken);

    /// <summary>
    /// Brings the sink to the state of the checkpoint being restored, on start (and after an abort,
    /// before anything is written again): each staged epoch found is committed if
    /// <paramref name="isEpochCommitted"/> says its checkpoint's manifest exists, and discarded
    /// otherwise; rows written but never pre-committed are discarded.
    /// </summary>
    ValueTask RecoverAsync(Func<long, bool> isEpochCommitted, CancellationToken cancellationToken);
}
