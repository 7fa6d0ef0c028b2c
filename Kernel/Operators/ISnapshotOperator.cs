using System.Buffers;

namespace Kernel.Operators;

/// <summary>
/// An operator whose complete state can be written to bytes at a barrier and loaded back before
/// any entry is processed: what a checkpoint participant needs from it. Called on the operator's
/// own thread (snapshot, at the barrier) or before it starts (restore); never concurrently with a batch.
/// </summary>
public interface ISnapshotOperator
{
    /// <summary>The aggregation's name (the manifest's key for its fingerprint).</summary>
    string AggregationName { get; }

    /// <summary>The fingerprint of the state layout; a snapshot restores only under the same one.</summary>
    ulong StateFingerprint { get; }

    /// <summary>The number of (key, window) entries held, reported as keys written by a full snapshot.</summary>
    long StateEntries { get; }

    /// <summary>Writes the complete state to <paramref name="output"/>; returns the bytes written.</summary>
    int WriteSnapshot(IBufferWriter<byte> output);

    /// <summary>Replaces the state with a snapshot written by <see cref="WriteSnapshot"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are damaged or were written under another state fingerprint.</exception>
    void RestoreSnapshot(ReadOnlySpan<byte> snapshot);
}
