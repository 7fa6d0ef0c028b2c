using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.InteropServices;
using Kernel.Bench.Quick;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.Runtime;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// Quick mode <c>aggregate</c>, case <c>end-to-end</c>: the same revenue-by-product query, events
/// published into the ring by a producer thread and folded by the keyed operator on the consumer
/// thread, against what a .NET user would write instead, in the same run: the single-threaded
/// Dictionary loop (<c>dictionary-loop</c>), Rx.NET (<c>rx</c>) and R3 (<c>r3</c>), each folding
/// into a Dictionary the same way.
/// </summary>
public sealed class EndToEndQuickSuite : IQuickSuite
{
    private const int PublishBatch = 1024;

    /// <inheritdoc/>
    public string Name => "aggregate";

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        Measure.Progress("aggregate/end-to-end: generating orders");
        var orders = OrderData.Generate(days: 30, maxDelayMs: 600_000);
        var count = QuickSettings.Scaled(orders.Length, 1_000_000);
        if (count < orders.Length) orders = orders[..(int)count];

        // Round-robin (ring, loop, Rx, R3, ring, …) so that a shared machine's drifting load hits them alike.
        var dict = new DictionaryRevenueLoop();
        AggregateQuickSuite.ApplyBatch dictApply = dict.Apply;
        var results = Interleaved.Median(orders.Length, warmups: 1, repeats: 3, describe: true,
            () => ThroughRing(orders),
            () => AggregateQuickSuite.Feed(orders, dictApply),
            () => ThroughRx(orders),
            () => R3Revenue.Run(orders));
        var (ringRate, ringAlloc) = results[0];
        var (dictRate, _) = results[1];
        var (rxRate, _) = results[2];
        var (r3Rate, _) = results[3];
        Measure.Progress($"aggregate/end-to-end: ring {ringRate:E3}, dictionary {dictRate:E3}, rx {rxRate:E3}, r3 {r3Rate:E3} ev/s");

        report.Ratio("aggregate", "end-to-end", ringRate, "dictionary-loop", dictRate, ringAlloc);
        report.Ratio("aggregate", "end-to-end", ringRate, "rx", rxRate, ringAlloc);
        report.Ratio("aggregate", "end-to-end", ringRate, "r3", r3Rate, ringAlloc);
    }

    private static void ThroughRing(BenchOrder[] orders)
    {
        var op = new KeyedAggregator<BenchOrder, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(OrderData.Products * 2);
        var kernel = new StreamKernel<BenchOrder>(new StreamKernelOptions { RingSize = 1 << 16, ProducerType = ProducerType.Single });
        kernel.AddHandler("revenue", op);
        kernel.Start();
        for (var i = 0; i < orders.Length; i += PublishBatch)
            kernel.Publish(orders.AsSpan(i, Math.Min(PublishBatch, orders.Length - i)));
        kernel.CompleteAsync().GetAwaiter().GetResult();
        kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (op.Count == 0) throw new InvalidOperationException("the operator saw no orders");
    }

    private static void ThroughRx(BenchOrder[] orders)
    {
        var state = new Dictionary<long, BenchRevenueState>(OrderData.Products);
        using var subject = new Subject<BenchOrder>();
        using var subscription = subject.Where(o => o.IsPaid).Subscribe(o => Fold(state, o));
        foreach (var o in orders) subject.OnNext(o);
        subject.OnCompleted();
    }

    /// <summary>The fold every baseline shares.</summary>
    internal static void Fold(Dictionary<long, BenchRevenueState> state, in BenchOrder o)
    {
        ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(state, o.ProductId, out var exists);
        if (!exists) RevenueFolding.Init(out s);
        RevenueFolding.Update(ref s, o);
    }
}
