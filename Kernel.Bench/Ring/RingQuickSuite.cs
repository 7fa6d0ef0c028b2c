using System.Diagnostics;
using Kernel.Bench.Quick;
using Kernel.Ring;

namespace Kernel.Bench.Ring;

/// <summary>
/// <c>quick ring</c>: Kernel's ring against bounded Channels (and BlockingCollection once), every
/// pair measured the same way in this run. 1P→1C is reported in both layouts of a 2-CPU
/// machine: <c>shared</c> (both threads pinned to CPU 0: the consumer wakes to large batches)
/// and <c>split</c> (producer on CPU 0, consumer on CPU 1: every hand-off crosses cores).
/// </summary>
/// <remarks>
/// The scenarios compared with each other are measured <em>interleaved</em>: one run of each in
/// turn, round after round, and each figure is the median of its runs. On a shared machine a
/// pinned thread gets whatever share of its CPU the other processes leave, and that share moves
/// by several times within seconds; measured one after the other, the ring and its baseline met
/// different loads and their ratio jumped between runs of the suite. Interleaved, both medians
/// come from the same stretch of time.
/// </remarks>
public sealed class RingQuickSuite : IQuickSuite
{
    // Fixed event counts, sized so one run of each takes about 0.1–0.2 s on a quiet 2-vCPU
    // machine and the whole suite about a minute (scaled down by the gate through QuickSettings;
    // never below a few ring laps).
    private static long RingEvents => QuickSettings.Scaled(10_000_000, 200_000);
    private static long RingBatchEvents => QuickSettings.Scaled(20_000_000, 200_000);
    private static long RingSplitEvents => QuickSettings.Scaled(2_000_000, 200_000);
    private static long RingMultiEvents => QuickSettings.Scaled(6_000_000, 200_000);
    private static long ChannelEvents => QuickSettings.Scaled(1_500_000, 100_000);
    private static long ChannelSplitEvents => QuickSettings.Scaled(600_000, 100_000);
    private static long ChannelMultiEvents => QuickSettings.Scaled(1_500_000, 100_000);
    private static long BlockingCollectionEvents => QuickSettings.Scaled(500_000, 100_000);
    private const string Suite = "ring";

    // Rounds of interleaved runs: the first ones warm up (tiered JIT reaches optimized code), the
    // rest are measured.
    private const int WarmupRounds = 2;
    private const int MeasuredRounds = 9;

    /// <inheritdoc/>
    public string Name => Suite;

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        var split = CpuAffinity.SecondCpu;
        if (!CpuAffinity.IsSupported)
            Measure.Progress("ring: CPU pinning is Linux-only; shared/split layouts run unpinned here");

        // Diagnostics only: KERNEL_RING_ONLY=3p1c runs that pair alone (its modes need many runs).
        if (Environment.GetEnvironmentVariable("KERNEL_RING_ONLY") == "3p1c")
        {
            RunThreeProducers(report, split);
            return;
        }

        // Shared: everything pinned to CPU 0. Channels have no batch write, so the batch case's
        // baseline is the same shared layout, one event at a time.
        var shared = Interleaved(
            ("channels 1p1c shared", () => new ChannelScenario(1, 1, ChannelEvents, 0, 0)),
            ("ring 1p1c shared", () => new RingScenario(1, 1, RingEvents, 1, 0, 0)),
            ("blockingcollection 1p1c shared", () => new BlockingCollectionScenario(BlockingCollectionEvents, 0, 0)),
            ("ring 1p1c batch 64 shared", () => new RingScenario(1, 1, RingBatchEvents, 64, 0, 0)));
        var (channelsShared, ringShared, blocking, ringBatch) = (shared[0], shared[1], shared[2], shared[3]);
        report.Ratio(Suite, "1p1c-shared", ringShared.OpsPerSec, "channels", channelsShared.OpsPerSec, ringShared.AllocBytesPerOp);
        report.Ratio(Suite, "1p1c-shared", ringShared.OpsPerSec, "blockingcollection", blocking.OpsPerSec, ringShared.AllocBytesPerOp);

        var splitPair = Interleaved(
            ("channels 1p1c split", () => new ChannelScenario(1, 1, ChannelSplitEvents, 0, split, synchronousContinuations: true)),
            ("ring 1p1c split", () => new RingScenario(1, 1, RingSplitEvents, 1, 0, split)));
        report.Ratio(Suite, "1p1c-split", splitPair[1].OpsPerSec, "channels", splitPair[0].OpsPerSec, splitPair[1].AllocBytesPerOp);

        report.Ratio(Suite, "1p1c-batch", ringBatch.OpsPerSec, "channels", channelsShared.OpsPerSec, ringBatch.AllocBytesPerOp);

        RunThreeProducers(report, split);

        var threeConsumers = Interleaved(
            ("channels 1p3c", () => new ChannelScenario(1, 3, ChannelMultiEvents)),
            ("ring 1p3c", () => new RingScenario(1, 3, RingMultiEvents)));
        report.Ratio(Suite, "1p3c", threeConsumers[1].OpsPerSec, "channels", threeConsumers[0].OpsPerSec, threeConsumers[1].AllocBytesPerOp);
    }

    /// <summary>3P→1C: three threads publishing one event at a time, against Channels with three writers.</summary>
    private static void RunThreeProducers(QuickReport report, int split)
    {
        // Diagnostics only (the record is the unpinned case): KERNEL_RING_3P1C_PIN=spread pins the
        // producers alternately to CPU 0 and 1 (consumer unpinned), the layout in which producers run
        // at once on both CPUs, as they do on a quiet 2-CPU machine; =one pins all three to CPU 0;
        // =22 pins one producer and the consumer to CPU 0 and two producers to CPU 1 (a 2+2 layout);
        // =13 pins one producer to CPU 1, and two producers and the consumer to CPU 0.
        var pin = Environment.GetEnvironmentVariable("KERNEL_RING_3P1C_PIN");
        Func<int, int?>? producerCpuOf = pin switch
        {
            "spread" => p => p % 2 == 0 ? 0 : split,
            "one" => _ => 0,
            "22" => p => p == 0 ? 0 : split,
            "13" => p => p == 0 ? split : 0,
            _ => null,
        };
        int? consumerCpuOf = pin is "22" or "13" ? 0 : null;
        if (producerCpuOf is not null)
            Measure.Progress($"ring: 3p1c producers pinned ({pin}) for diagnostics");
        var threeProducers = Interleaved(
            ("channels 3p1c", () => new ChannelScenario(3, 1, ChannelMultiEvents, consumerCpu: consumerCpuOf, producerCpuOf: producerCpuOf)),
            ("ring 3p1c", () => new RingScenario(3, 1, RingMultiEvents, consumerCpu: consumerCpuOf, producerCpuOf: producerCpuOf)));
        report.Ratio(Suite, "3p1c", threeProducers[1].OpsPerSec, "channels", threeProducers[0].OpsPerSec, threeProducers[1].AllocBytesPerOp);
    }

    /// <summary>The medians of one scenario's measured runs.</summary>
    private readonly record struct Result(double OpsPerSec, double AllocBytesPerOp);

    /// <summary>
    /// Creates the scenarios (threads started, pinned), then runs one run of each in turn,
    /// <see cref="WarmupRounds"/> rounds unmeasured and <see cref="MeasuredRounds"/> measured;
    /// returns each one's median rate and its least allocation per event (see <see cref="Measure"/>).
    /// </summary>
    private static Result[] Interleaved(params (string What, Func<IThroughputScenario> Create)[] cases)
    {
        var scenarios = new IThroughputScenario[cases.Length];
        try
        {
            for (var i = 0; i < cases.Length; i++)
                scenarios[i] = cases[i].Create();
            var rates = new double[cases.Length][];
            var cpu = new double[cases.Length][];
            var alloc = new double[cases.Length];
            var counts = new WaitCounts[cases.Length];
            for (var i = 0; i < cases.Length; i++)
            {
                rates[i] = new double[MeasuredRounds];
                cpu[i] = new double[MeasuredRounds];
                alloc[i] = double.MaxValue;
                counts[i] = new WaitCounts();
            }
            for (var round = 0; round < WarmupRounds + MeasuredRounds; round++)
            {
                for (var i = 0; i < scenarios.Length; i++)
                {
                    var s = scenarios[i];
                    if (round >= WarmupRounds)
                        counts[i].Begin();
                    var allocBefore = GC.GetTotalAllocatedBytes(precise: true);
                    var cpuBefore = Environment.CpuUsage.TotalTime;
                    // GetTimestamp, not a Stopwatch instance: the harness itself allocates nothing.
                    var start = Stopwatch.GetTimestamp();
                    s.Run();
                    var elapsed = Stopwatch.GetElapsedTime(start);
                    var cpuTime = Environment.CpuUsage.TotalTime - cpuBefore;
                    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocBefore;
                    if (round < WarmupRounds)
                        continue;
                    counts[i].End(s.EventsPerRun, elapsed.TotalSeconds);
                    var k = round - WarmupRounds;
                    rates[i][k] = s.EventsPerRun / elapsed.TotalSeconds;
                    // Round by round, always, for scenarios that describe their threads (the
                    // multi-producer ring, whose rounds fall into distinct modes): the round's ratio to
                    // the baseline's round just before, and where the threads ran and spent CPU.
                    var threads = s.DescribeLastRun();
                    if (RingCounters.Enabled || threads is not null)
                    {
                        var ratio = i > 0 ? $" x{rates[i][k] / rates[0][k]:F2}" : "";
                        Measure.Progress($"  {cases[i].What}{ratio}" + counts[i].DescribeLast(s.EventsPerRun, elapsed.TotalSeconds)
                            + (threads is null ? "" : " | " + threads));
                    }
                    cpu[i][k] = cpuTime.TotalNanoseconds / s.EventsPerRun;
                    alloc[i] = Math.Min(alloc[i], allocated / (double)s.EventsPerRun);
                }
            }
            var results = new Result[cases.Length];
            for (var i = 1; i < cases.Length; i++)
            {
                // The spread of the ratio to the first scenario (the baseline) round by round.
                var perRound = new double[MeasuredRounds];
                for (var k = 0; k < MeasuredRounds; k++)
                    perRound[k] = rates[i][k] / rates[0][k];
                Array.Sort(perRound);
                Measure.Progress($"  {cases[i].What} / {cases[0].What}, round by round: median {perRound[MeasuredRounds / 2]:F2}, range {perRound[0]:F2}–{perRound[^1]:F2}");
            }
            for (var i = 0; i < cases.Length; i++)
            {
                Array.Sort(rates[i]);
                Array.Sort(cpu[i]);
                results[i] = new Result(rates[i][MeasuredRounds / 2], alloc[i]);
                // CPU time of the whole process per event: on a shared, loaded machine it moves far
                // less than the wall-clock rate (which is what the records report).
                Measure.Progress($"{cases[i].What}: {results[i].OpsPerSec / 1e6:F1}M events/s (runs {rates[i][0] / 1e6:F1}–{rates[i][^1] / 1e6:F1}), " +
                    $"{cpu[i][MeasuredRounds / 2]:F2} CPU ns/event, {alloc[i]:G3} B/event");
                Measure.Progress(counts[i].Describe(cases[i].What));
            }
            return results;
        }
        finally
        {
            foreach (var s in scenarios)
                s?.Dispose();
        }
    }
}
