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

        QueryLatency.Report(report, Suite, orders, viewRate);
        JournalBatchRate.Report(report, Suite, orders);
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
