namespace Kernel.Checkpoints;

/// <summary>What one checkpoint cost.</summary>
/// <param name="Duration">From the barrier's injection until the manifest was durable.</param>
/// <param name="Pause">The longest time a participant held up its hot path while it snapshotted (as participants reported it).</param>
/// <param name="BytesWritten">Bytes written for the checkpoint: state files in its directory, bytes participants reported writing elsewhere (the LSM store), and the manifest (the copy stored inside the manifest leaves out the manifest itself).</param>
/// <param name="KeysWritten">State entries written, as participants reported them (the dirty keys of an incremental snapshot).</param>
public readonly record struct CheckpointStats(TimeSpan Duration, TimeSpan Pause, long BytesWritten, long KeysWritten);
