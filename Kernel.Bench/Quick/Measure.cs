using System.Diagnostics;

namespace Kernel.Bench.Quick;

/// <summary>
/// Timing helpers for quick mode: warm up (so tiered JIT reaches optimized code), repeat,
/// take the median. Allocation is measured, never assumed.
/// </summary>
public static class Measure
{
    /// <summary>
    /// Runs <paramref name="run"/> (which performs <paramref name="opsPerRun"/> operations)
    /// <paramref name="warmups"/> times unmeasured, then <paramref name="repeats"/> times, and
    /// returns the median rate and the allocated bytes per operation across all threads
    /// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise).
    /// </summary>
    public static (double OpsPerSec, double AllocBytesPerOp) Median(Action run, long opsPerRun, int warmups = 2, int repeats = 5)
    {
        for (var i = 0; i < warmups; i++) run();
        var rates = new double[repeats];
        double alloc = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            // GetTimestamp, not a Stopwatch instance: the harness itself must allocate nothing.
            var start = Stopwatch.GetTimestamp();
            run();
            var elapsed = Stopwatch.GetElapsedTime(start);
            var after = GC.GetTotalAllocatedBytes(precise: true);
            rates[i] = opsPerRun / elapsed.TotalSeconds;
            alloc = Math.Min(alloc, (after - before) / (double)opsPerRun);
        }
        Array.Sort(rates);
        return (rates[repeats / 2], alloc);
    }

    /// <summary>Writes a progress line to stderr (stdout carries only records).</summary>
    public static void Progress(string message) => Console.Error.WriteLine(message);
}
