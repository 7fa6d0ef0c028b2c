using Kernel.Bench.Aggregate;
using Kernel.Bench.Quick;
using Kernel.Modes;
using Kernel.Operators;
using Kernel.Queries;

namespace Kernel.Bench.Modes;

/// <summary>
/// Quick mode <c>modes</c>. Case <c>batch</c>: the generated <see cref="ProductRevenue"/> in batch mode
/// over 20M orders (scaled) and 10,000 products, against the hand-written Dictionary loop and LINQ's
/// <c>AggregateBy</c>, measured round-robin in the same run; <c>batch-queryable</c> is the same run
/// through a <see cref="KeyedStateView{TEvent, TKey, TState, TRow, TSpec}"/> (the query gate's cost
/// against plain batch). Metrics: point-query latency p50/p99 (µs) on hot state, idle and while a
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
        long keys = 0, dictKeys = 0, linqKeys = 0;
        var results = Interleaved.Median(orders.Length, warmups: 2, repeats: 5,
            () => keys = RunBatch(orders, options),
            () => dictKeys = ModeBaselines.DictionaryLoop(orders).Count,
            () => linqKeys = ModeBaselines.LinqAggregateBy(orders).Count,
            () => RunQueryable(orders, options));
        var (batchRate, batchAlloc) = results[0];
        var (dictRate, _) = results[1];
        var (linqRate, _) = results[2];
        var (viewRate, viewAlloc) = results[3];
        if (keys != dictKeys || keys != linqKeys) throw new InvalidOperationException($"modes: key counts differ: batch {keys}, dictionary {dictKeys}, linq {linqKeys}");
        Measure.Progress($"modes: batch {batchRate:E3} ev/s, queryable {viewRate:E3}, dictionary-loop {dictRate:E3}, linq-aggregateby {linqRate:E3}");
        report.Ratio(Suite, "batch", batchRate, "dictionary-loop", dictRate, batchAlloc);
        report.Ratio(Suite, "batch", batchRate, "linq-aggregateby", linqRate, batchAlloc);
        report.Ratio(Suite, "batch-queryable", viewRate, "batch", batchRate, viewAlloc);

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
