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

    /// <summary>
    /// Replaces the operator's state with an incremental checkpoint's: <paramref name="metadata"/> (the
    /// operator's metadata file) and the entries under <paramref name="prefix"/> in <paramref name="store"/>,
    /// read straight into the operator's tables. The state is clean afterwards (not yet "persisted":
    /// see <see cref="MarkPersisted"/>).
    /// </summary>
    /// <exception cref="System.IO.InvalidDataException">The metadata is damaged or does not match this build, or the store's entries do not match the windows it lists (<paramref name="what"/> names both in the message).</exception>
    void RestoreFromStore(ReadOnlySpan<byte> metadata, Kernel.Storage.Lsm.LsmStore store, byte[] prefix, string what);

    /// <summary>Declares the state as it is now to be exactly what the store holds (after a restore from it).</summary>
    void MarkPersisted();
}
