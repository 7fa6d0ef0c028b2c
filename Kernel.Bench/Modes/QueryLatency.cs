using System.Diagnostics;
using HdrHistogram;
using Kernel.Bench.Quick;
using Kernel.Operators;
using Kernel.Queries;

namespace Kernel.Bench.Modes;

/// <summary>
/// Point-query latency on hot state (every product present): one reader thread times each
/// <c>TryGet</c> into an HdrHistogram, first with the pipeline idle, then while a writer thread
/// applies batches paced at half the saturation rate measured by the suite.
/// </summary>
public static class QueryLatency
{
    /// <summary>Measures and reports p50/p99 (µs) for <c>query-idle</c> and <c>query-running</c>.</summary>
    public static void Report(QuickReport report, string suite, ModeOrder[] orders, double saturationRate)
    {
        var view = new KeyedStateView<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec>(
            new KeyedAggregator<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec>(ModeData.Products));
        var warm = Math.Min(orders.Length, 1_000_000);
        for (var i = 0; i < warm; i += ModeData.BatchSize) view.Apply(orders.AsSpan(i, Math.Min(ModeData.BatchSize, warm - i)));
        var lookups = (int)QuickSettings.Scaled(500_000, minimum: 20_000);

        Lookups(view, lookups / 10);   // JIT warm-up
        var idle = Lookups(view, lookups);
        Emit(report, suite, "query-idle", idle);

        using var stop = new CancellationTokenSource();
        var rate = saturationRate / 2;
        long applied = 0;
        var writer = new Thread(() => applied = Write(view, orders, rate, stop.Token)) { IsBackground = true, Name = "modes-writer" };
        writer.Start();
        var running = Lookups(view, lookups);
        stop.Cancel();
        writer.Join();
        Measure.Progress($"modes: writer applied {applied} events during the running lookups (paced at {rate:E3} ev/s)");
        Emit(report, suite, "query-running", running);
    }

    private static void Emit(QuickReport report, string suite, string caseName, LongHistogram h)
    {
        var p50 = h.GetValueAtPercentile(50) / 1000.0;
        var p99 = h.GetValueAtPercentile(99) / 1000.0;
        Measure.Progress($"modes: {caseName} p50 {p50:F2} us, p99 {p99:F2} us, max {h.GetMaxValue() / 1000.0:F1} us");
        report.Metric(suite, caseName, "p50", p50, "us");
        report.Metric(suite, caseName, "p99", p99, "us");
    }

    /// <summary>Times <paramref name="count"/> point lookups of random products (ns per lookup).</summary>
    private static LongHistogram Lookups(KeyedStateView<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec> view, int count)
    {
        var h = new LongHistogram(10_000_000_000L, 3);
        var rng = new Random(7);
        var nsPerTick = 1e9 / Stopwatch.Frequency;
        long sink = 0;
        for (var i = 0; i < count; i++)
        {
            long key = rng.Next(ModeData.Products);
            var start = Stopwatch.GetTimestamp();
            view.TryGet(key, out var row, out var sequence);
            var elapsed = Stopwatch.GetTimestamp() - start;
            sink += row.Orders + sequence;
            h.RecordValue(Math.Max(1, (long)(elapsed * nsPerTick)));
        }
        GC.KeepAlive(sink);
        return h;
    }

    /// <summary>Applies the input in batches (wrapping around) at <paramref name="rate"/> events/s until stopped.</summary>
    private static long Write(KeyedStateView<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec> view, ModeOrder[] orders, double rate, CancellationToken stop)
    {
        var start = Stopwatch.GetTimestamp();
        long applied = 0;
        var i = 0;
        while (!stop.IsCancellationRequested)
        {
            var n = Math.Min(ModeData.BatchSize, orders.Length - i);
            view.Apply(orders.AsSpan(i, n));
            applied += n;
            i = i + n == orders.Length ? 0 : i + n;
            var due = start + (long)(applied / rate * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < due && !stop.IsCancellationRequested) Thread.Yield();
        }
        return applied;
    }
}
