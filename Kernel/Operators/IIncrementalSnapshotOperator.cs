using Kernel.Checkpoints;

namespace Kernel.Operators;

/// <summary>
/// An operator that can hand a checkpoint only what changed since its previous capture (incremental
/// checkpoints into the LSM store; see <c>docs/checkpoints.md</c>). Called on the operator's thread at
/// a barrier, or before it starts; never concurrently with a batch.
/// </summary>
internal interface IIncrementalSnapshotOperator
{
    /// <summary>False when this operator's configuration keeps full snapshots (session windows, sketches).</summary>
    bool SupportsIncremental { get; }

    /// <summary>
    /// Writes into <paramref name="capture"/> the changes since the previous capture (or, when
    /// <paramref name="full"/>, a delete of everything and then every entry) and the small metadata,
    /// and marks the state clean: the next capture starts here.
    /// </summary>
    void CaptureChanges(IncrementalCapture capture, bool full);

    /// <summary>Declares the state as it is now to be exactly what the store holds (after a restore from it).</summary>
    void MarkPersisted();
}
