namespace Kernel.State;

/// <summary>What a state snapshot contains.</summary>
public enum SnapshotScope
{
    /// <summary>Every entry: restoring it replaces the whole table.</summary>
    Full = 0,

    /// <summary>
    /// Only what changed since the previous snapshot: the entries written to and the keys removed.
    /// Restoring it on top of the state the previous snapshot described yields the current state.
    /// </summary>
    Changes = 1,
}
