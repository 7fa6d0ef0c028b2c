using Kernel.Bench.Quick;
using Kernel.Bench.Windows;
using Kernel.Operators;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// Quick mode <c>aggregate</c>: revenue by product over 20M pre-generated orders (10,000 products),
/// the keyed operator alone (<c>operator</c>) against the hand-written Dictionary loop, both fed in
/// batches of <see cref="OrderData.BatchSize"/> per call. (The <c>end-to-end</c> case through the ring
/// belongs to the ring's suite owner.)
/// </summary>
/// <remarks>
/// Diagnostics (environment): <c>KERNEL_AGG_FAULTS=1</c> prints each measured round's rate, minor page
/// faults and collections; <c>KERNEL_AGG_CPU_PAIRS=N</c> prints, instead of the report lines, the ratios
/// by thread CPU time of N pairs (<see cref="ThreadCpuPairs"/>), which a loaded machine disturbs less than
/// the wall clock, and how much faster a pass that only streams the orders runs (<see cref="StreamOnlyPass"/>,
/// the floor of any fold over them); <c>KERNEL_AGG_SKIP_OPERATOR=1</c> skips these cases (only <c>end-to-end</c> runs).
/// With the pairs, <c>KERNEL_AGG_STRIDE_PROBE=1</c> adds <see cref="StrideProbe"/>'s footprint pairs, and
/// <c>KERNEL_AGG_KEY_MOD=N</c> folds the product ids to N keys (64: a table that stays in L1, the fold without its misses).
/// </remarks>
public sealed class AggregateQuickSuite : IQuickSuite
{
    /// <inheritdoc/>
    public string Name => "aggregate";

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        if (Environment.GetEnvironmentVariable("KERNEL_AGG_SKIP_OPERATOR") == "1") return;
        Measure.Progress("aggregate: generating 20M orders");
        var orders = OrderData.Generate(days: 30, maxDelayMs: 600_000);
        // KERNEL_AGG_KEY_MOD=N (diagnostic): product ids folded to N keys, so a small N puts the table in L1.
        if (int.TryParse(Environment.GetEnvironmentVariable("KERNEL_AGG_KEY_MOD"), out var keyMod) && keyMod > 0)
            for (var i = 0; i < orders.Length; i++) orders[i].ProductId %= keyMod;

        var op = new KeyedAggregator<BenchOrder, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(OrderData.Products);
        var lean = new KeyedAggregator<BenchOrder, long, BenchRevenueState, BenchRevenueRow, LeanRevenueSpec>(OrderData.Products);
        var dict = new DictionaryRevenueLoop();
        ApplyBatch opApply = op.Apply;
        ApplyBatch leanApply = lean.Apply;
        ApplyBatch dictApply = dict.Apply;

        // KERNEL_AGG_CPU_PAIRS: the thread-CPU ratios only (a diagnostic for a loaded machine; no report lines).
        if (int.TryParse(Environment.GetEnvironmentVariable("KERNEL_AGG_CPU_PAIRS"), out var pairs) && pairs > 0)
        {
            ThreadCpuPairs.Print("aggregate: operator / dictionary-loop", pairs, () => Feed(orders, dictApply), () => Feed(orders, opApply));
            ThreadCpuPairs.Print("aggregate: operator-lean-spec / dictionary-loop", pairs, () => Feed(orders, dictApply), () => Feed(orders, leanApply));
            if (Environment.GetEnvironmentVariable("KERNEL_AGG_STRIDE_PROBE") == "1")
            {
                var p80 = new StrideProbe(80, 8, lean64: false);
                var p72 = new StrideProbe(72, 0, lean64: false);
                var p64 = new StrideProbe(64, 0, lean64: true);
                var p128 = new StrideProbe(128, 0, lean64: true);
                ApplyBatch a80 = p80.Apply, a72 = p72.Apply, a64 = p64.Apply, a128 = p128.Apply;
                ThreadCpuPairs.Print("aggregate: probe-72 / probe-80", pairs, () => Feed(orders, a80), () => Feed(orders, a72));
                ThreadCpuPairs.Print("aggregate: probe-64 / probe-80", pairs, () => Feed(orders, a80), () => Feed(orders, a64));
                ThreadCpuPairs.Print("aggregate: probe-128-hot64 / probe-80", pairs, () => Feed(orders, a80), () => Feed(orders, a128));
                ThreadCpuPairs.Print("aggregate: probe-80 / operator", pairs, () => Feed(orders, opApply), () => Feed(orders, a80));
            }
            // The floor: a pass that only streams the orders (no state), against the operator.
            var stream = new StreamOnlyPass();
            ApplyBatch streamApply = stream.Apply;
            ThreadCpuPairs.Print("aggregate: stream-only / operator", pairs, () => Feed(orders, opApply), () => Feed(orders, streamApply));
            return;
        }
        var results = Interleaved.Median(orders.Length, warmups: 2, repeats: 5,
            () => Feed(orders, opApply),
            () => Feed(orders, dictApply),
            () => Feed(orders, leanApply));
        var (opRate, opAlloc) = results[0];
        var (dictRate, _) = results[1];
        var (leanRate, leanAlloc) = results[2];
        Measure.Progress($"aggregate: operator {opRate:E3} ev/s (keys {op.Count}), dictionary-loop {dictRate:E3} ev/s (keys {dict.Count}), lean spec {leanRate:E3} ev/s");
        report.Ratio("aggregate", "operator", opRate, "dictionary-loop", dictRate, opAlloc);
        report.Ratio("aggregate", "operator-lean-spec", leanRate, "dictionary-loop", dictRate, leanAlloc);

        // The same with product ids scattered over 64 bits: the table hashes (no direct mode), the
        // loop's Dictionary is unchanged. Shows what the operator does with keys that are not dense ids.
        for (var i = 0; i < orders.Length; i++)
            orders[i].ProductId = (long)((ulong)orders[i].ProductId * 0x9E3779B97F4A7C15UL | 1UL << 62);
        var sparse = new KeyedAggregator<BenchOrder, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(OrderData.Products);
        var sparseDict = new DictionaryRevenueLoop();
        ApplyBatch sparseApply = sparse.Apply;
        ApplyBatch sparseDictApply = sparseDict.Apply;
        var sparseResults = Interleaved.Median(orders.Length, warmups: 2, repeats: 5,
            () => Feed(orders, sparseApply),
            () => Feed(orders, sparseDictApply));
        Measure.Progress($"aggregate: sparse keys: operator {sparseResults[0].OpsPerSec:E3} ev/s (keys {sparse.Count}), dictionary-loop {sparseResults[1].OpsPerSec:E3} ev/s");
        report.Ratio("aggregate", "operator-sparse-keys", sparseResults[0].OpsPerSec, "dictionary-loop", sparseResults[1].OpsPerSec, sparseResults[0].AllocBytesPerOp);
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
