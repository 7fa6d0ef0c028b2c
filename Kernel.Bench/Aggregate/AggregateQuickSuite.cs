using Kernel.Bench.Quick;
using Kernel.Operators;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// Quick mode <c>aggregate</c>: revenue by product over 20M pre-generated orders (10,000 products),
/// the keyed operator alone (<c>operator</c>) against the hand-written Dictionary loop, both fed in
/// batches of <see cref="OrderData.BatchSize"/> per call. (The <c>end-to-end</c> case through the ring
/// belongs to the ring's suite owner.)
/// </summary>
public sealed class AggregateQuickSuite : IQuickSuite
{
    /// <inheritdoc/>
    public string Name => "aggregate";

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        Measure.Progress("aggregate: generating 20M orders");
        var orders = OrderData.Generate(days: 30, maxDelayMs: 600_000);

        var op = new KeyedAggregator<BenchOrder, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(OrderData.Products);
        var dict = new DictionaryRevenueLoop();
        ApplyBatch opApply = op.Apply;
        ApplyBatch dictApply = dict.Apply;
        var results = Interleaved.Median(orders.Length, warmups: 2, repeats: 5,
            () => Feed(orders, opApply),
            () => Feed(orders, dictApply));
        var (opRate, opAlloc) = results[0];
        var (dictRate, _) = results[1];
        Measure.Progress($"aggregate: operator {opRate:E3} ev/s (keys {op.Count}), dictionary-loop {dictRate:E3} ev/s (keys {dict.Count})");
        report.Ratio("aggregate", "operator", opRate, "dictionary-loop", dictRate, opAlloc);
    }

    /// <summary>Hands the input to <paramref name="apply"/> in batches (one delegate call per batch, not per event).</summary>
    public static void Feed(BenchOrder[] orders, ApplyBatch apply)
    {
        for (var i = 0; i < orders.Length; i += OrderData.BatchSize)
            apply(orders.AsSpan(i, Math.Min(OrderData.BatchSize, orders.Length - i)));
    }

    /// <summary>Processes one batch.</summary>
    public delegate void ApplyBatch(ReadOnlySpan<BenchOrder> batch);
}
