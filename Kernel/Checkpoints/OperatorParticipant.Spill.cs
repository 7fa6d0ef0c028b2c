using Kernel.Storage.Lsm;

namespace Kernel.Checkpoints;

/// <summary>
/// What an operator with a state budget needs from its participant's live LSM store (see
/// <c>docs/state-and-memory.md</c>): the store, but only while it holds every change the operator
/// handed to its last capture (so an entry that capture left clean can be dropped from memory and
/// read back), and the prefix of the operator's keys in it.
/// </summary>
internal interface ISpillStore
{
    /// <summary>The participant's name (in messages).</summary>
    string Name { get; }

    /// <summary>The prefix of the operator's keys in the store (<see cref="IncrementalKeys"/>).</summary>
    ReadOnlySpan<byte> StatePrefix { get; }

    /// <summary>True once incremental checkpoints are enabled (the store exists or will).</summary>
    bool HasStore { get; }

    /// <summary>
    /// The live store when it holds the operator's last capture (applied, not aborted, no full capture
    /// pending); null otherwise. Read on the operator's thread, at a barrier, before the next capture.
    /// </summary>
    LsmStore? StoreHoldingLastCapture { get; }
}

public sealed partial class OperatorParticipant : ISpillStore
{
    ReadOnlySpan<byte> ISpillStore.StatePrefix => _prefix;

    bool ISpillStore.HasStore => _storeDirectory is not null;

    LsmStore? ISpillStore.StoreHoldingLastCapture
    {
        get
        {
            // _lastCaptureId is the operator thread's own; the writer publishes _lastWrittenId after the
            // store's Write returned (under _storeLock), so an equal id means the batch is readable.
            var captured = _lastCaptureId;
            if (captured < 0 || Volatile.Read(ref _forceFull) != 0) return null;
            var store = Volatile.Read(ref _store);
            return store is not null && Volatile.Read(ref _lastWrittenId) == captured ? store : null;
        }
    }
}
