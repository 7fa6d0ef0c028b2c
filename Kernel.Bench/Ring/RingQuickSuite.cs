using Kernel.Bench.Quick;

namespace Kernel.Bench.Ring;

/// <summary>
/// <c>quick ring</c>: Kernel's ring against bounded Channels (and BlockingCollection once), every
/// pair measured the same way in this run. 1P→1C is reported in both layouts of a 2-CPU
/// machine: <c>shared</c> (both threads pinned to CPU 0: the consumer wakes to large batches)
/// and <c>split</c> (producer on CPU 0, consumer on CPU 1: every hand-off crosses cores).
/// </summary>
public sealed class RingQuickSuite : IQuickSuite
{
    // Fixed event counts, sized so the whole suite takes about a minute on a 2-vCPU machine
    // (scaled down by the gate through QuickSettings; never below a few ring laps).
    private static long RingEvents => QuickSettings.Scaled(20_000_000, 200_000);
    private static long RingBatchEvents => QuickSettings.Scaled(40_000_000, 200_000);
    private static long RingMultiEvents => QuickSettings.Scaled(6_000_000, 200_000);
    private static long ChannelEvents => QuickSettings.Scaled(3_000_000, 100_000);
    private static long ChannelMultiEvents => QuickSettings.Scaled(1_500_000, 100_000);
    private static long BlockingCollectionEvents => QuickSettings.Scaled(1_000_000, 100_000);
    private const string Suite = "ring";

    /// <inheritdoc/>
    public string Name => Suite;

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        var split = CpuAffinity.SecondCpu;
        if (!CpuAffinity.IsSupported)
            Measure.Progress("ring: CPU pinning is Linux-only; shared/split layouts run unpinned here");

        var channelsShared = Time("channels 1p1c shared", new ChannelScenario(1, 1, ChannelEvents, 0, 0));
        var ringShared = Time("ring 1p1c shared", new RingScenario(1, 1, RingEvents, 1, 0, 0));
        report.Ratio(Suite, "1p1c-shared", ringShared.OpsPerSec, "channels", channelsShared.OpsPerSec, ringShared.AllocBytesPerOp);
        var blocking = Time("blockingcollection 1p1c shared", new BlockingCollectionScenario(BlockingCollectionEvents, 0, 0));
        report.Ratio(Suite, "1p1c-shared", ringShared.OpsPerSec, "blockingcollection", blocking.OpsPerSec, ringShared.AllocBytesPerOp);

        var channelsSplit = Time("channels 1p1c split", new ChannelScenario(1, 1, ChannelEvents, 0, split));
        var ringSplit = Time("ring 1p1c split", new RingScenario(1, 1, RingEvents, 1, 0, split));
        report.Ratio(Suite, "1p1c-split", ringSplit.OpsPerSec, "channels", channelsSplit.OpsPerSec, ringSplit.AllocBytesPerOp);

        // Channels have no batch write: the baseline is the same shared layout, one event at a time.
        var ringBatch = Time("ring 1p1c batch 64 shared", new RingScenario(1, 1, RingBatchEvents, 64, 0, 0));
        report.Ratio(Suite, "1p1c-batch", ringBatch.OpsPerSec, "channels", channelsShared.OpsPerSec, ringBatch.AllocBytesPerOp);

        var channels3p = Time("channels 3p1c", new ChannelScenario(3, 1, ChannelMultiEvents));
        var ring3p = Time("ring 3p1c", new RingScenario(3, 1, RingMultiEvents));
        report.Ratio(Suite, "3p1c", ring3p.OpsPerSec, "channels", channels3p.OpsPerSec, ring3p.AllocBytesPerOp);

        var channels3c = Time("channels 1p3c", new ChannelScenario(1, 3, ChannelMultiEvents));
        var ring3c = Time("ring 1p3c", new RingScenario(1, 3, RingMultiEvents));
        report.Ratio(Suite, "1p3c", ring3c.OpsPerSec, "channels", channels3c.OpsPerSec, ring3c.AllocBytesPerOp);
    }

    private static (double OpsPerSec, double AllocBytesPerOp) Time(string what, IThroughputScenario scenario)
    {
        using (scenario)
        {
            // CPU time of the whole process over the warm-ups and the measured runs (5 + 2): on a
            // shared, loaded machine it moves far less than the wall-clock rate.
            var cpuBefore = Environment.CpuUsage.TotalTime;
            var result = Measure.Median(scenario.Run, scenario.EventsPerRun);
            var cpuNsPerEvent = (Environment.CpuUsage.TotalTime - cpuBefore).TotalNanoseconds / (7.0 * scenario.EventsPerRun);
            Measure.Progress($"{what}: {result.OpsPerSec / 1e6:F1}M events/s, {cpuNsPerEvent:F2} CPU ns/event, {result.AllocBytesPerOp:G3} B/event");
            return result;
        }
    }
}
