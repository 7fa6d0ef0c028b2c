using System.Diagnostics;
using Kernel.Bench.Quick;
using Kernel.Bench.Ring;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// Measures a case and its baselines round-robin (case, baseline, case, baseline, …) rather than
/// one block after the other, so that drift in a shared machine's load hits them alike; each slot is
/// one <see cref="Measure.Median"/> repeat, and the result per run is the median over its slots.
/// A full collection before the measured rounds, and between them, keeps the set-up's and the earlier
/// rounds' large allocations from triggering a GC inside a measurement.
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
    public static (double OpsPerSec, double AllocBytesPerOp)[] Median(long opsPerRun, int warmups, int repeats, bool describe, params Action[] runs) =>
        Median(opsPerRun, warmups, repeats, describe, setups: null, runs);

    /// <summary>
    /// As <see cref="Median(long, int, int, bool, Action[])"/>, and runs <c>setups[k]</c> (when not null) right
    /// before each run of <c>runs[k]</c>, warm-up or measured, outside the timing and the allocation count: the
    /// state a round starts from (a kernel with its operator attached, say), built after the collection that
    /// frees the previous round's, so its memory can land on pages that round already touched.
    /// </summary>
    public static (double OpsPerSec, double AllocBytesPerOp)[] Median(long opsPerRun, int warmups, int repeats, bool describe, Action?[]? setups, params Action[] runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (setups is not null && setups.Length != runs.Length)
            throw new ArgumentException($"{setups.Length} setups for {runs.Length} runs", nameof(setups));
        var faults = describe || Environment.GetEnvironmentVariable("KERNEL_AGG_FAULTS") == "1";
        for (var w = 0; w < warmups; w++)
        {
            for (var k = 0; k < runs.Length; k++)
            {
                setups?[k]?.Invoke();
                runs[k]();
            }
        }
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
            if (r > 0)
            {
                // Between rounds too (BenchmarkDotNet forces one before each iteration by default): the garbage of
                // the rounds before (a round that builds a kernel allocates its 4 MiB ring and table anew) made the
                // last end-to-end round of every process run a gen-2 collection and read 137-181M events/s against
                // 190-290M for the others (session 18, KERNEL_AGG_FAULTS=1).
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
            }
            for (var k = 0; k < runs.Length; k++)
            {
                setups?[k]?.Invoke();
                counts[k].Begin();
                var faultsBefore = faults ? MinorFaults() : 0;
                var gen2Before = GC.CollectionCount(2);
                var gen0Before = GC.CollectionCount(0);
                var start = Stopwatch.GetTimestamp();
                var (rate, alloc) = Measure.Median(runs[k], opsPerRun, warmups: 0, repeats: 1);
                var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
                counts[k].End(opsPerRun, wall);
                if (describe)
                    Measure.Progress($"  run {k}" + counts[k].DescribeLast(opsPerRun, wall) + $" minflt {MinorFaults() - faultsBefore} gc0 {GC.CollectionCount(0) - gen0Before} gc2 {GC.CollectionCount(2) - gen2Before}");
                else if (faults)
                    Measure.Progress($"  run {k} round: {opsPerRun / wall / 1e6:F1}M/s minflt {MinorFaults() - faultsBefore} gc0 {GC.CollectionCount(0) - gen0Before} gc2 {GC.CollectionCount(2) - gen2Before}");
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

    /// <summary>
    /// The process's minor page faults so far (field 10 of /proc/self/stat; 0 where there is none). On a
    /// VM whose first touch of a page costs microseconds, a round's faults show memory it allocated afresh.
    /// </summary>
    internal static long MinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);   // field 10 overall: 3 is fields[0]
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
