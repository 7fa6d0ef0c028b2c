using System.Diagnostics;
using Kernel.Bench.Quick;
using Kernel.Bench.Ring;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// Measures a case and its baselines round-robin (case, baseline, case, baseline, …) rather than
/// one block after the other, so that drift in a shared machine's load hits them alike; each slot is
/// one <see cref="Measure.Median"/> repeat, and the result per run is the median over its slots.
/// A full collection before the measured rounds keeps the set-up's large allocations from
/// triggering a background GC inside a measurement.
/// </summary>
public static class Interleaved
{
    /// <summary>Runs every action <paramref name="warmups"/> times, then <paramref name="repeats"/> measured rounds.</summary>
    /// <returns>Per action: the median rate and the smallest allocation per operation.</returns>
    public static (double OpsPerSec, double AllocBytesPerOp)[] Median(long opsPerRun, int warmups, int repeats, params Action[] runs) =>
        Median(opsPerRun, warmups, repeats, describe: false, runs);

    /// <summary>
    /// As <see cref="Median(long, int, int, Action[])"/>, and when <paramref name="describe"/> also writes each
    /// action's context switches, CPUs used and ring wait counts (<see cref="WaitCounts"/>) to the progress output.
    /// </summary>
    public static (double OpsPerSec, double AllocBytesPerOp)[] Median(long opsPerRun, int warmups, int repeats, bool describe, params Action[] runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        for (var w = 0; w < warmups; w++)
            foreach (var run in runs) run();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var rates = new double[runs.Length][];
        var allocs = new double[runs.Length];
        var counts = new WaitCounts[runs.Length];
        for (var k = 0; k < runs.Length; k++)
        {
            rates[k] = new double[repeats];
            allocs[k] = double.MaxValue;
            counts[k] = new WaitCounts();
        }
        for (var r = 0; r < repeats; r++)
        {
            for (var k = 0; k < runs.Length; k++)
            {
                counts[k].Begin();
                var start = Stopwatch.GetTimestamp();
                var (rate, alloc) = Measure.Median(runs[k], opsPerRun, warmups: 0, repeats: 1);
                var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
                counts[k].End(opsPerRun, wall);
                if (describe)
                    Measure.Progress($"  run {k}" + counts[k].DescribeLast(opsPerRun, wall));
                rates[k][r] = rate;
                allocs[k] = Math.Min(allocs[k], alloc);
            }
        }
        var result = new (double, double)[runs.Length];
        for (var k = 0; k < runs.Length; k++)
        {
            Array.Sort(rates[k]);
            result[k] = (rates[k][repeats / 2], allocs[k]);
            if (describe)
                Measure.Progress(counts[k].Describe($"run {k} (rates {rates[k][0]:E2}..{rates[k][^1]:E2})"));
        }
        return result;
    }
}
