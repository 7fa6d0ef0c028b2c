using System.Diagnostics;

namespace Kernel.Bench.Log;

/// <summary>
/// Median timing where each repeat has untimed setup and teardown (a fresh log or file per run:
/// creating and pre-touching a segment is not the append path being measured).
/// </summary>
internal static class BenchTiming
{
    /// <summary>Runs setup → timed run → teardown; returns the median rate and the lowest allocation per operation in the timed part.</summary>
    public static (double OpsPerSec, double AllocBytesPerOp) Median<TState>(
        Func<TState> setup, Action<TState> run, Action<TState> teardown, long opsPerRun, int warmups, int repeats)
    {
        var rates = new double[repeats];
        var alloc = double.MaxValue;
        for (var i = -warmups; i < repeats; i++)
        {
            var state = setup();
            try
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var start = Stopwatch.GetTimestamp(); // no Stopwatch object: the timed part allocates nothing of ours
                run(state);
                var elapsed = Stopwatch.GetElapsedTime(start);
                var after = GC.GetTotalAllocatedBytes(precise: true);
                if (i < 0) continue;
                rates[i] = opsPerRun / elapsed.TotalSeconds;
                alloc = Math.Min(alloc, (after - before) / (double)opsPerRun);
            }
            finally
            {
                teardown(state);
            }
        }
        Array.Sort(rates);
        return (rates[repeats / 2], alloc);
    }

    /// <summary>A fresh directory for one run.</summary>
    public static string NewDirectory(string root)
    {
        var path = Path.Combine(root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a run's directory.</summary>
    public static void DeleteDirectory(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (IOException) { }
    }
}
