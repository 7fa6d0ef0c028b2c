using Kernel.Bench.Quick;

namespace Kernel.Bench.Checkpoints;

/// <summary>
/// Quick mode <c>checkpoint-replay</c>: only the <c>recovery</c> start and <c>replay</c> cases of
/// <c>checkpoint</c> (a durable pipeline's start on 5M journaled orders), for profiling replay
/// without the pause and throughput cases around it. Reports under the <c>checkpoint</c> suite.
/// </summary>
public sealed class CheckpointReplayQuickSuite : IQuickSuite
{
    /// <inheritdoc/>
    public string Name => "checkpoint-replay";

    /// <inheritdoc/>
    public void Run(QuickReport report) => CheckpointQuickSuite.InScratchDirectory(Name, root => CheckpointQuickSuite.Recovery(report, root));
}
