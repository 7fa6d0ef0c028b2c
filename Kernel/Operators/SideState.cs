using System.Buffers;

namespace Kernel.Operators;

/// <summary>
/// State an aggregation keeps beside its hot table rather than in the unmanaged per-key state: the
/// sketches of <c>[DistinctCount]</c>, <c>[Sample]</c> and <c>[TopK]</c> members. The generator emits
/// one sealed subclass per aggregation (<c>Row.Sketches</c>), holding a pool per sketch member; the
/// unmanaged state holds a small integer handle into the pool (never a pointer), and a snapshot of
/// the operator writes the pools' sketches serialized beside the table.
/// </summary>
/// <remarks>
/// The operator calls the spec's static side-state members with this object; they cast it back to
/// the generated class without a type check (it is the one the spec created), so the per-event path
/// has no virtual call. Only snapshots and restores call the members below. Single-threaded.
/// </remarks>
public abstract class SideState
{
    /// <summary>Sketches currently held (one per sketch member and key or window holding one).</summary>
    public abstract long Live { get; }

    /// <summary>Writes every held sketch, serialized, after its handle.</summary>
    public abstract void WriteSnapshot(IBufferWriter<byte> output);

    /// <summary>Replaces every pool's content with what <see cref="WriteSnapshot"/> wrote; the handles come back as they were.</summary>
    /// <remarks>
    /// Each pool is replaced only once its own section checked out, but the pools are restored one after the
    /// other: bytes rejected in a later pool's section leave the earlier pools replaced. The operators therefore
    /// restore a snapshot into a fresh side state first and into their own only once every part of the snapshot
    /// checked out.
    /// </remarks>
    /// <exception cref="InvalidDataException">The bytes are damaged or written for other sketch settings.</exception>
    public abstract void RestoreSnapshot(ReadOnlySpan<byte> snapshot);

    /// <summary>Releases every sketch (kept for reuse).</summary>
    public abstract void Clear();
}
