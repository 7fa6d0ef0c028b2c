namespace Kernel.Checkpoints;

/// <summary>The result of one checkpoint.</summary>
/// <param name="CheckpointId">The checkpoint id.</param>
/// <param name="Outcome">Completed or aborted.</param>
/// <param name="Stats">What it cost (for an aborted checkpoint, up to the abort).</param>
/// <param name="Manifest">The manifest written, when completed.</param>
/// <param name="Failure">Why it was aborted, or the first sink commit error of a completed checkpoint (the commit is retried by the next checkpoint and by recovery); null otherwise.</param>
public sealed record CheckpointResult(long CheckpointId, CheckpointOutcome Outcome, CheckpointStats Stats, CheckpointManifest? Manifest, Exception? Failure);
