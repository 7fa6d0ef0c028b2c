using Kernel.Storage.Lsm.Tables;

namespace Kernel.Storage.Lsm;

/// <summary>One compaction: tables to merge and the level their output goes to.</summary>
internal sealed class Compaction(TableReader[] inputs, int outputLevel, bool full)
{
    public TableReader[] Inputs { get; } = inputs;
    public int OutputLevel { get; } = outputLevel;

    /// <summary>True for a manual compaction of every table into the deepest level.</summary>
    public bool Full { get; } = full;
}
