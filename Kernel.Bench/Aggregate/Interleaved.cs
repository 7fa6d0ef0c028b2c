using Kernel.Bench.Quick;

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
    public static (double OpsPerSec, double AllocBytesPerOp)[] Median(long opsPerRun, int warmups, int repeats, params Action[] runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        for (var w = 0; w < warmups; w++)
            foreach (var run in runs) run();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var rates = new double[runs.Length][];
        var allocs = new double[runs.Length];
        for (var k = 0; k < runs.Length; k++)
        {
            rates[k] = new double[repeats];
            allocs[k] = double.MaxValue;
        }
        for (var r = 0; r < repeats; r++)
        {
            for (var k = 0; k < runs.Length; k++)
            {
                var (rate, alloc) = Measure.Median(runs[k], opsPerRun, warmups: 0, repeats: 1);
                rates[k][r] = rate;
                allocs[k] = Math.Min(allocs[k], alloc);
            }
        }
        var result = new (double, double)[runs.Length];
        for (var k = 0; k < runs.Length; k++)
        {
            Array.Sort(rates[k]);
            result[k] = (rates[k][repeats / 2], allocs[k]);
        }
        return result;
    }
}
