using Kernel.Bench.Quick;

namespace Kernel.Bench.Checkpoints;

/// <summary>
/// Quick mode <c>checkpoint-pause</c>: only the <c>pause</c> case of <c>checkpoint</c> (200 barriers
/// with 1M keys in state and 10k dirty, each followed by its whole checkpoint), for studying the
/// barrier without the recovery and throughput cases around it. Reports under the <c>checkpoint</c> suite.
/// </summary>
public sealed class CheckpointPauseQuickSuite : IQuickSuite
{
    /// <inheritdoc/>
    public string Name => "checkpoint-pause";

    /// <inheritdoc/>
    public void Run(QuickReport report) => CheckpointQuickSuite.InScratchDirectory(Name, root => CheckpointQuickSuite.Pause(report, root, restore: false));
}
