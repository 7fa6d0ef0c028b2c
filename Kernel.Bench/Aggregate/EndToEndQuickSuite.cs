using System.Diagnostics;
using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.InteropServices;
using Kernel.Bench.Quick;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.Runtime;
using RevenueOperator = Kernel.Operators.KeyedAggregator<Kernel.Bench.Aggregate.BenchOrder, long, Kernel.Bench.Aggregate.RevenueByProduct.State,
    Kernel.Bench.Aggregate.RevenueByProduct, Kernel.Bench.Aggregate.RevenueByProduct.Spec>;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// Quick mode <c>aggregate</c>, case <c>end-to-end</c>: the same revenue-by-product query, events
/// published into the ring by a producer thread and folded by the keyed operator on the consumer
/// thread, against what a .NET user would write instead, in the same run: the single-threaded
/// Dictionary loop (<c>dictionary-loop</c>), Rx.NET (<c>rx</c>) and R3 (<c>r3</c>), each folding
/// into a Dictionary the same way. Two more baselines say how much of the ring's rate is the copy of the orders
/// into its slots (<see cref="HandOffFloor"/>, x86 with AVX): <c>producer-copy</c>, the producer's copy into
/// 64-byte slots with no consumer at all, and <c>handoff-fold</c>, the plainest two-thread hand-off with the same
/// operator folding; a ratio near 1 leaves nothing to the ring's own machinery.
/// </summary>
/// <remarks>
/// Diagnostic (environment): <c>KERNEL_AGG_E2E_SPLIT=1</c> prints, per ring round, where its time went on
/// each thread (<see cref="ThroughRingSplit"/>) and, per Dictionary-loop round, that thread's CPU time.
/// Off, the measured code is exactly <see cref="ThroughRing"/>. <c>KERNEL_AGG_E2E_RING=&lt;slots&gt;</c> runs the
/// ring rounds with that ring size instead of the default (a diagnostic: the report keeps the default's name).
/// <c>KERNEL_AGG_E2E_FLOOR=1</c> adds a round to the rotation, <see cref="HandOffFloor"/> only reading the slots, and
/// prints its rate (one progress line); <c>KERNEL_AGG_E2E_FLOOR=0</c> leaves the floors out.
/// </remarks>
public sealed class EndToEndQuickSuite : IQuickSuite
{
    private const int PublishBatch = 1024;

    // Three warm-up rounds of each: after one, the runtime was still promoting methods to optimized code
    // during the first timed round, and that background work on a 2-core machine, beside the ring's two
    // threads, delayed the end of the round by 1-38 ms now and then (Notes/aggregate.md, session 15).
    // The median of five rounds, as `operator` takes: the ring's hand-off swings from round to round.
    private const int Warmups = 3;
    private const int Repeats = 5;

    private static readonly bool s_split = Environment.GetEnvironmentVariable("KERNEL_AGG_E2E_SPLIT") == "1";

    private static readonly bool s_floor = Environment.GetEnvironmentVariable("KERNEL_AGG_E2E_FLOOR") == "1";
    private static readonly bool s_noFloor = Environment.GetEnvironmentVariable("KERNEL_AGG_E2E_FLOOR") == "0";

    private static readonly int s_ringSize =
        int.TryParse(Environment.GetEnvironmentVariable("KERNEL_AGG_E2E_RING"), out var slots) ? slots : StreamKernelOptions.DefaultRingSize;

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
        // A ring round's kernel and operator are built just before it, untimed, as a service builds its kernel
        // once: the round measures start, publish, fold and shutdown, and its allocation is what those make.
        // Built inside the round, the new operator's 4 MB table read as 0.21 B/event that no event allocates.
        // Built all before the first round, each kernel got a fresh ring array (the pool keeps one) and each
        // round took ~1,350 first-touch page faults, 8-19 ms of a ~80 ms round on this VM.
        var next = default(RingRound);
        var ringSeen = 0L;
        Action[] runs =
        [
            s_split ? () => ThroughRingSplit(orders) : () =>
            {
                ThroughRing(orders, next);
                ringSeen = next.Op.EventsSeen;
                next = default;   // so the collection before the next round frees this round's kernel and table
            },
            s_split ? () => FeedWithCpu(orders, dictApply, "dictionary-loop") : () => AggregateQuickSuite.Feed(orders, dictApply),
            () => ThroughRx(orders),
            () => R3Revenue.Run(orders),
        ];
        if (s_split)
        {
            // The split also times the operator alone (no ring) on this thread, as the consumer's reference.
            var alone = NewOperator();
            AggregateQuickSuite.ApplyBatch aloneApply = alone.Apply;
            runs = [.. runs, () => FeedWithCpu(orders, aloneApply, "operator-alone")];
        }
        // The floors (HandOffFloor): the producer's copy alone and the plainest hand-off with the same fold, in the same
        // rotation; the read-only hand-off only with KERNEL_AGG_E2E_FLOOR=1.
        using var floor = HandOffFloor.IsSupported && !s_noFloor ? new HandOffFloor() : null;
        RevenueOperator? floorOp = null;
        int copyRun = -1, foldRun = -1, readRun = -1;
        if (floor is not null)
        {
            copyRun = runs.Length;
            foldRun = copyRun + 1;
            runs =
            [
                .. runs,
                () => floor.Run(orders, PublishBatch, HandOffFloor.Consume.None, null),
                () =>
                {
                    floor.Run(orders, PublishBatch, HandOffFloor.Consume.Fold, floorOp);
                    if (ringSeen != 0 && floorOp!.EventsSeen != ringSeen) throw new InvalidOperationException($"the hand-off fold folded {floorOp!.EventsSeen} orders, the ring {ringSeen}");
                    floorOp = null;
                },
            ];
            if (s_floor)
            {
                readRun = runs.Length;
                runs = [.. runs, () => floor.Run(orders, PublishBatch, HandOffFloor.Consume.Read, null)];
            }
        }
        var setups = new Action?[runs.Length];
        if (!s_split) setups[0] = () => next = BuildRing();   // the split round times its construction itself
        if (floor is not null) setups[foldRun] = () => floorOp = NewOperator();
        var results = Interleaved.Median(orders.Length, Warmups, Repeats, describe: true, setups, runs);
        if (readRun >= 0)
        {
            var readRate = results[readRun].OpsPerSec;
            Measure.Progress(string.Create(CultureInfo.InvariantCulture,
                $"aggregate/end-to-end floor: hand-off read {readRate:E3} ev/s ({readRate / results[2].OpsPerSec:F2}x rx, {readRate / results[foldRun].OpsPerSec:F2}x hand-off fold)"));
        }
        var (ringRate, ringAlloc) = results[0];
        var (dictRate, _) = results[1];
        var (rxRate, _) = results[2];
        var (r3Rate, _) = results[3];
        Measure.Progress($"aggregate/end-to-end: ring {ringRate:E3}, dictionary {dictRate:E3}, rx {rxRate:E3}, r3 {r3Rate:E3} ev/s");

        report.Ratio("aggregate", "end-to-end", ringRate, "dictionary-loop", dictRate, ringAlloc);
        report.Ratio("aggregate", "end-to-end", ringRate, "rx", rxRate, ringAlloc);
        report.Ratio("aggregate", "end-to-end", ringRate, "r3", r3Rate, ringAlloc);
        if (floor is not null)
        {
            report.Ratio("aggregate", "end-to-end", ringRate, "producer-copy", results[copyRun].OpsPerSec, ringAlloc);
            report.Ratio("aggregate", "end-to-end", ringRate, "handoff-fold", results[foldRun].OpsPerSec, ringAlloc);
        }
    }

    /// <summary>A ring round's kernel with its operator attached, not started.</summary>
    private readonly record struct RingRound(StreamKernel<BenchOrder> Kernel, RevenueOperator Op);

    /// <summary>The generated revenue operator, its table sized for the products.</summary>
    private static RevenueOperator NewOperator(IControlListener? control = null) => new(OrderData.Products * 2, control);

    /// <summary>Builds one <see cref="RingRound"/>.</summary>
    private static RingRound BuildRing()
    {
        var op = NewOperator();
        var kernel = new StreamKernel<BenchOrder>(new StreamKernelOptions { RingSize = s_ringSize, ProducerType = ProducerType.Single });
        kernel.AddHandler("revenue", op);
        return new RingRound(kernel, op);
    }

    private static void ThroughRing(BenchOrder[] orders, RingRound built)
    {
        var (kernel, op) = built;
        kernel.Start();
        for (var i = 0; i < orders.Length; i += PublishBatch)
            kernel.Publish(orders.AsSpan(i, Math.Min(PublishBatch, orders.Length - i)));
        kernel.CompleteAsync().GetAwaiter().GetResult();
        kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (op.Count == 0) throw new InvalidOperationException("the operator saw no orders");
    }

    /// <summary>
    /// <see cref="ThroughRing"/> with a breakdown of the round (one progress line): the producer's (this
    /// thread's) wall time per phase (kernel construction and handler, start, the publish loop, CompleteAsync,
    /// dispose) and its CPU time, page faults and context switches; the consumer's CPU time, faults and
    /// switches up to end of input (read on its thread by the operator's control listener, which only
    /// control entries reach), and the time from the consumer meeting end of input to CompleteAsync returning.
    /// </summary>
    private static void ThroughRingSplit(BenchOrder[] orders)
    {
        var probe = new EndProbe();
        var p0 = OsThread.CpuNanoseconds();
        var u0 = OsThread.ThreadUsage();
        var t0 = Stopwatch.GetTimestamp();
        var op = NewOperator(probe);
        var kernel = new StreamKernel<BenchOrder>(new StreamKernelOptions { RingSize = s_ringSize, ProducerType = ProducerType.Single });
        kernel.AddHandler("revenue", op);
        var t1 = Stopwatch.GetTimestamp();
        kernel.Start();
        var t2 = Stopwatch.GetTimestamp();
        var p2 = OsThread.CpuNanoseconds();
        for (var i = 0; i < orders.Length; i += PublishBatch)
            kernel.Publish(orders.AsSpan(i, Math.Min(PublishBatch, orders.Length - i)));
        var t3 = Stopwatch.GetTimestamp();
        var p3 = OsThread.CpuNanoseconds();
        var u3 = OsThread.ThreadUsage();
        kernel.CompleteAsync().GetAwaiter().GetResult();
        var t4 = Stopwatch.GetTimestamp();
        kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var t5 = Stopwatch.GetTimestamp();
        var p5 = OsThread.CpuNanoseconds();
        var u5 = OsThread.ThreadUsage();
        if (op.Count == 0) throw new InvalidOperationException("the operator saw no orders");
        static double Ms(long from, long to) => (to - from) * 1e3 / Stopwatch.Frequency;
        var n = orders.Length;
        Measure.Progress(string.Create(CultureInfo.InvariantCulture,
            $"  split: wall {Ms(t0, t5):F1} ms = ctor {Ms(t0, t1):F2} + start {Ms(t1, t2):F2} + publish {Ms(t2, t3):F1} + complete {Ms(t3, t4):F2} + dispose {Ms(t4, t5):F2}; " +
            $"producer cpu {(p5 - p0) / 1e6:F1} ms (publish {(p3 - p2) / 1e6:F1}, {(p3 - p2) / (double)n:F2} ns/ev) minflt {u3.MinorFaults - u0.MinorFaults}+{u5.MinorFaults - u3.MinorFaults} vcsw {u5.Voluntary - u0.Voluntary} ivcsw {u5.Involuntary - u0.Involuntary}; " +
            $"consumer cpu {probe.CpuNs / 1e6:F1} ms ({probe.CpuNs / (double)n:F2} ns/ev) minflt {probe.Usage.MinorFaults} vcsw {probe.Usage.Voluntary} ivcsw {probe.Usage.Involuntary}; " +
            $"end-of-input seen {Ms(t3, probe.Timestamp):F2} ms after the last publish, CompleteAsync back {Ms(probe.Timestamp, t4):F2} ms later"));
    }

    /// <summary>A batch-fed round (the Dictionary loop, the operator alone) with this thread's CPU time (a progress line).</summary>
    private static void FeedWithCpu(BenchOrder[] orders, AggregateQuickSuite.ApplyBatch apply, string what)
    {
        var c0 = OsThread.CpuNanoseconds();
        var u0 = OsThread.ThreadUsage();
        AggregateQuickSuite.Feed(orders, apply);
        var c1 = OsThread.CpuNanoseconds();
        var u1 = OsThread.ThreadUsage();
        Measure.Progress(string.Create(CultureInfo.InvariantCulture,
            $"  split: {what} cpu {(c1 - c0) / 1e6:F1} ms ({(c1 - c0) / (double)orders.Length:F2} ns/ev) minflt {u1.MinorFaults - u0.MinorFaults} ivcsw {u1.Involuntary - u0.Involuntary}"));
    }

    /// <summary>Reads the consumer thread's CPU time and counts when the operator meets end of input.</summary>
    private sealed class EndProbe : IControlListener
    {
        public long CpuNs;
        public OsThread.Usage Usage;
        public long Timestamp;

        public void OnBarrier(long checkpointId, long sequence) { }

        public void OnEndOfInput(int sourceId, long sequence)
        {
            CpuNs = OsThread.CpuNanoseconds();
            Usage = OsThread.ThreadUsage();
            Timestamp = Stopwatch.GetTimestamp();
        }
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
