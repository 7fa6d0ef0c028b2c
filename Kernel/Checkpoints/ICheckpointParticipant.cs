namespace Kernel.Checkpoints;

/// <summary>
/// A part of the pipeline whose state a checkpoint must capture: a ring handler, a generated
/// operator, the journal, a source. The coordinator calls <see cref="SnapshotAsync"/> when the
/// barrier has been injected; the participant completes it (acknowledges) once it has reached the
/// barrier in its own stream and written its state, or throws to fail the checkpoint.
/// </summary>
public interface ICheckpointParticipant
{
    /// <summary>A name unique in the pipeline, used in messages and as a prefix for its state files.</summary>
    string Name { get; }

    /// <summary>
    /// Snapshots the state as of the barrier at <see cref="CheckpointContext.Sequence"/> into
    /// <see cref="CheckpointContext.Directory"/> (or elsewhere, reporting the bytes), and records
    /// positions, offsets and fingerprints on the context. Completing is the acknowledgement.
    /// </summary>
    /// <param name="context">The checkpoint being taken.</param>
    /// <param name="cancellationToken">Cancelled when the checkpoint times out or is aborted.</param>
    ValueTask SnapshotAsync(CheckpointContext context, CancellationToken cancellationToken);

    /// <summary>Loads the state a checkpoint recorded, before any entry is processed.</summary>
    /// <param name="context">The checkpoint being restored.</param>
    /// <param name="cancellationToken">Cancels the restore.</param>
    ValueTask RestoreAsync(CheckpointRestoreContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Told that a checkpoint this participant may have snapshotted for was aborted (its directory is
    /// deleted by the coordinator); release anything pinned for it. Does nothing by default.
    /// </summary>
    ValueTask AbortAsync(long checkpointId, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
