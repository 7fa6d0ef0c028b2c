using System.Diagnostics;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// Times <see cref="HeadlineCase.Run"/> only (preparation and clean-up are outside the clock),
/// round-robin over the cases, and keeps per case the median rate and the smallest allocation per
/// event across all threads (a background GC or a timer can only add, never remove, bytes).
/// </summary>
public static class Rounds
{
    /// <summary>Runs <paramref name="repeats"/> measured rounds over <paramref name="cases"/>.</summary>
    public static (double OpsPerSec, double AllocBytesPerOp)[] Run(HeadlineCase[] cases, HeadlineOrder[] orders, int repeats)
    {
        var rates = new double[cases.Length, repeats];
        var allocs = new double[cases.Length];
        Array.Fill(allocs, double.MaxValue);
        for (var r = 0; r < repeats; r++)
        {
            for (var k = 0; k < cases.Length; k++)
            {
                cases[k].Prepare();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var start = Stopwatch.GetTimestamp();
                cases[k].Run(orders);
                var elapsed = Stopwatch.GetElapsedTime(start);
                var after = GC.GetTotalAllocatedBytes(precise: true);
                cases[k].Cleanup();
                rates[k, r] = orders.Length / elapsed.TotalSeconds;
                allocs[k] = Math.Min(allocs[k], (after - before) / (double)orders.Length);
            }
        }
        var result = new (double, double)[cases.Length];
        for (var k = 0; k < cases.Length; k++)
        {
            var sorted = new double[repeats];
            for (var r = 0; r < repeats; r++) sorted[r] = rates[k, r];
            Array.Sort(sorted);
            result[k] = (sorted[repeats / 2], allocs[k]);
        }
        return result;
    }
}
