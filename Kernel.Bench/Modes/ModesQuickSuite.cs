using Kernel.Bench.Aggregate;
using Kernel.Bench.Quick;
using Kernel.Modes;
using Kernel.Operators;
using Kernel.Queries;

namespace Kernel.Bench.Modes;

/// <summary>
/// Quick mode <c>modes</c>. Case <c>batch</c>: the generated <see cref="ProductRevenue"/> in batch mode
/// with its default options (one worker per core over an input this size) over 20M orders (scaled)
/// and 10,000 products, against the hand-written Dictionary loop and LINQ's <c>AggregateBy</c>,
/// measured round-robin in the same run; <c>batch-sequential</c> is batch mode on one thread
/// (<c>Parallelism = 1</c>) against the same loop; <c>dictionary-loop</c> against <c>read-scan</c>
/// (a loop summing one field) shows how far the loop is from the memory read ceiling;
/// <c>batch-queryable</c> is the sequential run through a
/// <see cref="KeyedStateView{TEvent, TKey, TState, TRow, TSpec}"/> (the query gate's cost against
/// sequential batch, the view being fed by one thread). Metrics: point-query latency p50/p99 (µs) on hot state, idle and while a
/// writer runs at half its saturation rate; the rate of a batch run over a journal range.
/// </summary>
public sealed class ModesQuickSuite : IQuickSuite
{
    private const string Suite = "modes";

    /// <inheritdoc/>
    public string Name => Suite;

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        Measure.Progress("modes: generating orders");
        var orders = ModeData.Generate();
        var options = new BatchOptions { BatchSize = ModeData.BatchSize };
        var sequential = new BatchOptions { BatchSize = ModeData.BatchSize, Parallelism = 1 };
        long keys = 0, seqKeys = 0, dictKeys = 0, linqKeys = 0, sum = 0;
        var results = Interleaved.Median(orders.Length, warmups: 2, repeats: 5,
            () => keys = RunBatch(orders, options),
            () => seqKeys = RunBatch(orders, sequential),
            () => dictKeys = ModeBaselines.DictionaryLoop(orders).Count,
            () => linqKeys = ModeBaselines.LinqAggregateBy(orders).Count,
            () => RunQueryable(orders, sequential),
            () => sum += ModeBaselines.ReadScan(orders));
        var (batchRate, batchAlloc) = results[0];
        var (seqRate, seqAlloc) = results[1];
        var (dictRate, dictAlloc) = results[2];
        var (linqRate, _) = results[3];
        var (viewRate, viewAlloc) = results[4];
        var (scanRate, _) = results[5];
        if (keys != dictKeys || seqKeys != dictKeys || keys != linqKeys) throw new InvalidOperationException($"modes: key counts differ: batch {keys}, sequential {seqKeys}, dictionary {dictKeys}, linq {linqKeys}");
        Measure.Progress($"modes: batch {batchRate:E3} ev/s ({options.WorkersFor(orders.Length)} workers), sequential {seqRate:E3}, queryable {viewRate:E3}, dictionary-loop {dictRate:E3}, linq-aggregateby {linqRate:E3}, read-scan {scanRate:E3} ({sum})");
        report.Ratio(Suite, "batch", batchRate, "dictionary-loop", dictRate, batchAlloc);
        report.Ratio(Suite, "batch", batchRate, "linq-aggregateby", linqRate, batchAlloc);
        report.Ratio(Suite, "batch-sequential", seqRate, "dictionary-loop", dictRate, seqAlloc);
        report.Ratio(Suite, "dictionary-loop", dictRate, "read-scan", scanRate, dictAlloc);
        report.Ratio(Suite, "batch-queryable", viewRate, "batch-sequential", seqRate, viewAlloc);

        CpuShare(orders, options, sequential);

        QueryLatency.Report(report, Suite, orders, viewRate);
        JournalBatchRate.Report(report, Suite, orders);
    }

    /// <summary>
    /// Wall time against process CPU time of the parallel and the sequential run (progress lines only):
    /// on a machine whose cores are taken by other work the second worker finds no free core, and the
    /// wall-clock ratio says little; the CPU time says whether the split run does more work in total,
    /// and CPU ÷ wall how many cores it actually got.
    /// </summary>
    private static void CpuShare(ModeOrder[] orders, BatchOptions parallel, BatchOptions sequential)
    {
        long sink = 0;
        for (var round = 0; round < 3; round++)
        {
            var (pWall, pCpu) = Timed(() => sink += RunBatch(orders, parallel));
            var (sWall, sCpu) = Timed(() => sink += RunBatch(orders, sequential));
            var (dWall, dCpu) = Timed(() => sink += ModeBaselines.DictionaryLoop(orders).Count);
            var (rWall, rCpu) = Timed(() => sink += ModeBaselines.ReadScan(orders));
            double Ns(double seconds) => seconds * 1e9 / orders.Length;
            Measure.Progress($"modes: cpu round {round}: ns/event cpu (wall): parallel {Ns(pCpu):F2} ({Ns(pWall):F2}, {pCpu / pWall:F2} cores), " +
                $"sequential {Ns(sCpu):F2} ({Ns(sWall):F2}, {sCpu / sWall:F2} cores), dictionary-loop {Ns(dCpu):F2} ({Ns(dWall):F2}), read-scan {Ns(rCpu):F2} ({Ns(rWall):F2}); " +
                $"cpu parallel/sequential {pCpu / sCpu:F3}, cpu loop/sequential {dCpu / sCpu:F2}");
        }
        GC.KeepAlive(sink);
    }

    private static (double WallSeconds, double CpuSeconds) Timed(Action run)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        run();
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (wall, (Environment.CpuUsage.TotalTime - cpu).TotalSeconds);
    }

    private static long RunBatch(ModeOrder[] orders, BatchOptions options)
    {
        var op = new KeyedAggregator<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec>(ModeData.Products);
        BatchRunner.Run(BatchTarget.For(op), (ReadOnlySpan<ModeOrder>)orders, options);
        return op.Count;
    }

    private static void RunQueryable(ModeOrder[] orders, BatchOptions options)
    {
        var view = new KeyedStateView<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec>(
            new KeyedAggregator<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec>(ModeData.Products));
        BatchRunner.Run(view, (ReadOnlySpan<ModeOrder>)orders, options);
    }
}
