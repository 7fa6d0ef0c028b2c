using Kernel.Bench.Quick;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// Quick mode <c>headline</c>: "revenue per day per product" over 10M pre-generated orders (10,000
/// products, 10 days, 5% out of order within the 10-minute bound), through the ring and the generated
/// windowed operator (<c>ring</c>), with the journal in front (<c>ring-journal</c>), and in the durable
/// pipeline with checkpoints every 250 ms (<c>ring-checkpoints</c>), each against
/// the baselines of the same run: <c>hand-loop</c>, <c>channels</c>, <c>rx</c>, <c>r3</c>, <c>akka</c>. Cases run
/// round-robin (drift on a shared machine hits all alike); each run starts from empty state and
/// emits every row; the warm-up run checks that every case produced the same rows.
/// </summary>
public sealed class HeadlineQuickSuite : IQuickSuite
{
    private const int Orders = 10_000_000;
    private const int Repeats = 3;

    /// <inheritdoc/>
    public string Name => "headline";

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        var count = (int)QuickSettings.Scaled(Orders, 500_000);
        Measure.Progress($"headline: generating {count:N0} orders over {HeadlineData.Days} days");
        var orders = HeadlineData.Generate(count);
        var ring = new RingCase(journal: false);
        var journaled = new RingCase(journal: true);
        var checkpointed = new CheckpointedRingCase(count);
        using var akka = new AkkaCase();
        HeadlineCase[] cases = [ring, journaled, checkpointed, new HandLoopCase(), new ChannelsCase(), new RxCase(), new R3Case(), akka];
        const int Kernels = 3; // cases before this index are Kernel's, the rest baselines

        // Warm-up: every case once (tiered JIT reaches optimized code), and the correctness check.
        HeadlineTotals? expected = null;
        foreach (var c in cases)
        {
            c.Prepare();
            c.Run(orders);
            c.Cleanup();
            expected ??= c.Totals;
            if (!c.Totals.Equals(expected.Value))
                throw new InvalidOperationException($"headline: case '{c.Name}' produced {c.Totals}, but '{cases[0].Name}' produced {expected}");
        }
        Measure.Progress($"headline: all cases agree: {expected}; journal {journaled.JournalBytes / (1 << 20)} MiB per run; {checkpointed.Checkpoints} checkpoints per run, the last {checkpointed.LastStats}");

        var results = Rounds.Run(cases, orders, Repeats);
        for (var k = 0; k < cases.Length; k++)
            Measure.Progress($"headline: {cases[k].Name} {results[k].OpsPerSec:E3} ev/s, {results[k].AllocBytesPerOp:F3} B/ev");

        for (var k = 0; k < Kernels; k++)
        {
            for (var b = Kernels; b < cases.Length; b++)
                report.Ratio("headline", cases[k].Name, results[k].OpsPerSec, cases[b].Name, results[b].OpsPerSec, results[k].AllocBytesPerOp);
        }
        // The cost of durability, as the journaled and checkpointed rings against the plain ring of the same run.
        report.Ratio("headline", "ring-journal", results[1].OpsPerSec, "ring", results[0].OpsPerSec, results[1].AllocBytesPerOp);
        report.Ratio("headline", "ring-checkpoints", results[2].OpsPerSec, "ring", results[0].OpsPerSec, results[2].AllocBytesPerOp);
    }
}
