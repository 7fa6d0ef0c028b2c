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

    /// <summary>
    /// Runs several cases in alternating rounds (each round starts one case later, so no case
    /// always runs first or right after the same other case: the disk is shared and its speed
    /// drifts) and returns each case's median rate and lowest allocation per operation, in the
    /// order given. The first <paramref name="warmupRounds"/> rounds are not counted.
    /// </summary>
    public static (double OpsPerSec, double AllocBytesPerOp)[] Alternating(IReadOnlyList<TimedCase> cases, long opsPerRun, int warmupRounds, int rounds)
    {
        var rates = new double[cases.Count][];
        var alloc = new double[cases.Count];
        for (var c = 0; c < cases.Count; c++)
        {
            rates[c] = new double[rounds];
            alloc[c] = double.MaxValue;
        }
        for (var round = -warmupRounds; round < rounds; round++)
        {
            for (var k = 0; k < cases.Count; k++)
            {
                var c = (k + round + warmupRounds) % cases.Count;
                var (rate, bytes) = cases[c].RunOnce(opsPerRun);
                if (round < 0) continue;
                rates[c][round] = rate;
                alloc[c] = Math.Min(alloc[c], bytes);
            }
        }
        var result = new (double, double)[cases.Count];
        for (var c = 0; c < cases.Count; c++)
        {
            Array.Sort(rates[c]);
            Quick.Measure.Progress($"  {cases[c].Name}: {string.Join(" ", rates[c].Select(r => (r / 1e6).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} M ops/s");
            result[c] = (rates[c][rounds / 2], alloc[c]);
        }
        return result;
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

/// <summary>One case of <see cref="BenchTiming.Alternating"/>: untimed setup, timed run, untimed teardown.</summary>
internal abstract class TimedCase
{
    /// <summary>The case's name in progress lines.</summary>
    public required string Name { get; init; }

    /// <summary>A case over a state of type <typeparamref name="TState"/>.</summary>
    public static TimedCase Of<TState>(string name, Func<TState> setup, Action<TState> run, Action<TState> teardown) =>
        new Typed<TState>(setup, run, teardown) { Name = name };

    /// <summary>Sets up, times one run, tears down; returns the rate and the bytes allocated per operation in the timed part.</summary>
    public abstract (double OpsPerSec, double AllocBytesPerOp) RunOnce(long opsPerRun);

    private sealed class Typed<TState>(Func<TState> setup, Action<TState> run, Action<TState> teardown) : TimedCase
    {
        public override (double OpsPerSec, double AllocBytesPerOp) RunOnce(long opsPerRun)
        {
            var state = setup();
            try
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var start = Stopwatch.GetTimestamp();
                run(state);
                var elapsed = Stopwatch.GetElapsedTime(start);
                var after = GC.GetTotalAllocatedBytes(precise: true);
                return (opsPerRun / elapsed.TotalSeconds, (after - before) / (double)opsPerRun);
            }
            finally
            {
                teardown(state);
            }
        }
    }
}
