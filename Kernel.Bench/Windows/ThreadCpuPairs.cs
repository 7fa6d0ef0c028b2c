using Kernel.Bench.Quick;

namespace Kernel.Bench.Windows;

/// <summary>
/// Ratios of two runs measured by the calling thread's CPU time (<c>CLOCK_THREAD_CPUTIME_ID</c>) instead
/// of the wall clock: on the shared 2-core machine the wall clock counts the time other processes hold
/// the core, which swings the <c>windows</c> ratios by ±0.1 from run to run. Runs alternate (baseline,
/// then case) in pairs; the result is the median of the per-pair ratios. Diagnostic only (Linux): the
/// suite runs it when <c>KERNEL_WINDOWS_CPU_PAIRS</c> is set, and it does not enter the report.
/// </summary>
internal static class ThreadCpuPairs
{
    /// <summary>The calling thread's CPU time in nanoseconds.</summary>
    public static long ThreadNs()
    {
        var ns = OsThread.CpuNanoseconds();
        if (ns == 0) throw new InvalidOperationException("the thread CPU clock is not available here (Linux only)");
        return ns;
    }

    /// <summary>The pairs count asked for by the environment, or 0.</summary>
    public static int Requested() =>
        int.TryParse(Environment.GetEnvironmentVariable("KERNEL_WINDOWS_CPU_PAIRS"), out var n) && n > 0 ? n : 0;

    /// <summary>
    /// Runs <paramref name="baseline"/> then <paramref name="run"/> <paramref name="pairs"/> times (after one
    /// untimed pair) and prints the per-pair ratios (baseline time / case time: the case's speed relative
    /// to the baseline's) and their median and spread, and each side's fastest run (the least disturbed by other
    /// processes) with the ratio of the two, and each side's minor page faults per timed run (a fresh operator's
    /// first touches of its memory would show there: on this VM each costs 6-14 us).
    /// </summary>
    public static void Print(string label, int pairs, Action baseline, Action run)
    {
        baseline();
        run();
        var ratios = new double[pairs];
        long minBaseline = long.MaxValue, minRun = long.MaxValue, faultsBaseline = 0, faultsRun = 0;
        for (var i = 0; i < pairs; i++)
        {
            var f0 = OsThread.ThreadUsage().MinorFaults;
            var t0 = ThreadNs();
            baseline();
            var t1 = ThreadNs();
            var f1 = OsThread.ThreadUsage().MinorFaults;
            run();
            var t2 = ThreadNs();
            var f2 = OsThread.ThreadUsage().MinorFaults;
            faultsBaseline += f1 - f0;
            faultsRun += f2 - f1;
            ratios[i] = (double)(t1 - t0) / (t2 - t1);
            minBaseline = Math.Min(minBaseline, t1 - t0);
            minRun = Math.Min(minRun, t2 - t1);
        }
        var sorted = (double[])ratios.Clone();
        Array.Sort(sorted);
        Measure.Progress($"{label} (thread CPU, {pairs} pairs): median {sorted[pairs / 2]:F3}, min {sorted[0]:F3}, max {sorted[^1]:F3}; pairs {string.Join(' ', ratios.Select(r => r.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}; fastest {minBaseline / 1e6:F1} / {minRun / 1e6:F1} ms (ratio {(double)minBaseline / minRun:F3}); faults per run {faultsBaseline / pairs} / {faultsRun / pairs}");
    }
}
