using System.Diagnostics;
using System.Runtime;
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
        // Per round and action, what the progress lines report, formatted only after the last round (see SettleJit).
        var rounds = faults ? new RoundCounts[repeats, runs.Length] : null;
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
                SettleJit();
                counts[k].Begin();
                var faultsBefore = faults ? MinorFaults() : 0;
                var gen2Before = GC.CollectionCount(2);
                var gen0Before = GC.CollectionCount(0);
                var jitBefore = JitInfo.GetCompiledMethodCount();
                var start = Stopwatch.GetTimestamp();
                var (rate, alloc) = Measure.Median(runs[k], opsPerRun, warmups: 0, repeats: 1);
                var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
                counts[k].End(opsPerRun, wall);
                if (rounds is not null)
                {
                    rounds[r, k] = new RoundCounts(wall, MinorFaults() - faultsBefore, GC.CollectionCount(0) - gen0Before,
                        GC.CollectionCount(2) - gen2Before, JitInfo.GetCompiledMethodCount() - jitBefore, describe ? counts[k].TakeLast() : null);
                }
                rates[k][r] = rate;
                allocs[k] = Math.Min(allocs[k], alloc);
            }
        }
        if (rounds is not null)
        {
            for (var r = 0; r < repeats; r++)
            {
                for (var k = 0; k < runs.Length; k++)
                {
                    var c = rounds[r, k];
                    var head = c.Described is { } last ? WaitCounts.DescribeLast(last, opsPerRun, c.WallSeconds) : $" round: {opsPerRun / c.WallSeconds / 1e6:F1}M/s";
                    Measure.Progress(FormattableString.Invariant($"  run {k}{head} minflt {c.MinorFaults} gc0 {c.Gen0} gc2 {c.Gen2} jit {c.JitCompiled}"));
                }
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
    /// The process's minor page faults so far (<c>getrusage</c>; 0 where there is none). On a VM whose first
    /// touch of a page costs microseconds, a round's faults show memory it allocated afresh. Not read from
    /// <c>/proc/self/stat</c>: the file I/O and parsing that took were called a few times a round and reached
    /// tiered compilation's threshold in the measured rounds (see <see cref="SettleJit"/>).
    /// </summary>
    internal static long MinorFaults() => OsThread.ProcessUsage().MinorFaults;

    /// <summary>
    /// Waits, outside the timing, until the JIT has finished nothing new for <see cref="JitQuietMs"/> (at most
    /// <see cref="JitSettleMaxMs"/>): the background compilations that the rounds before queued (a method
    /// reaching the tiering threshold, a loop's on-stack replacement) then run before the round instead of
    /// beside it. It drains what is queued; it does not wait out tiering's call-counting delay (100 ms), so a
    /// method first called in the last round can still be promoted inside this one: the progress lines' <c>jit</c>
    /// column shows what was (0–4 methods a round since).
    /// </summary>
    /// <remarks>
    /// On the 2-core machine a tier-1 compilation in the background took one core, and the ring's producer and
    /// consumer shared the other: the last measured <c>end-to-end</c> round of every process read 185-225M
    /// events/s with 80-85 methods compiled in it, against 295-380M/s in rounds compiling 0-12 (session 22;
    /// the harness's own per-round bookkeeping, formatting and <c>/proc</c> reads, reached the threshold then).
    /// </remarks>
    internal static void SettleJit()
    {
        var deadline = Stopwatch.GetTimestamp() + JitSettleMaxMs * Stopwatch.Frequency / 1000;
        var last = JitInfo.GetCompiledMethodCount();
        var quietSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(5);
            var now = JitInfo.GetCompiledMethodCount();
            if (now != last)
            {
                last = now;
                quietSince = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(quietSince).TotalMilliseconds >= JitQuietMs)
            {
                return;
            }
        }
    }

    private const int JitQuietMs = 40;
    private const int JitSettleMaxMs = 1_000;

    /// <summary>What one measured run reports on the progress output.</summary>
    private readonly record struct RoundCounts(double WallSeconds, long MinorFaults, int Gen0, int Gen2, long JitCompiled, WaitCounts.LastRun? Described);
}
