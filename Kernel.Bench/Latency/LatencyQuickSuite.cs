using HdrHistogram;
using Kernel.Bench.Quick;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.Runtime;

namespace Kernel.Bench.Latency;

/// <summary>
/// Quick mode <c>latency</c>: time from publish to the event being folded into the keyed operator's
/// state (observed right after the fold on the operator's thread, where a sink callback runs), at
/// fixed offered loads of 1M and 10M events/s and at saturation. Each load runs three times on a
/// fresh kernel; latencies go into one HdrHistogram per load, measured from each event's intended send
/// time (coordinated omission corrected), reported as p50, p99, p99.9 and max in µs, with the rate the
/// producer actually achieved.
/// </summary>
public sealed class LatencyQuickSuite : IQuickSuite
{
    private const int Runs = 3;
    private static readonly long s_highestNanos = TimeSpan.FromSeconds(60).Ticks * 100;

    private static readonly OfferedLoad[] s_loads =
    [
        new("load-1M", 1_000_000, 5_000_000),
        new("load-10M", 10_000_000, 10_000_000),
        new("saturation", 0, 20_000_000),
    ];

    /// <inheritdoc/>
    public string Name => "latency";

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        // Warm-up: tiered JIT reaches the optimized publish, fold and record paths.
        RunOnce(new OfferedLoad("warm-up", 0, QuickSettings.Scaled(2_000_000, 200_000)), new LongHistogram(s_highestNanos, 3));

        foreach (var load in s_loads)
        {
            var histogram = new LongHistogram(s_highestNanos, 3);
            var rates = new double[Runs];
            for (var r = 0; r < Runs; r++) rates[r] = RunOnce(load, histogram);
            Array.Sort(rates);
            var rate = rates[Runs / 2];
            Measure.Progress($"latency: {load.Name} achieved {rate:E3} ev/s, p50 {Us(histogram.GetValueAtPercentile(50)):F2} µs, p99 {Us(histogram.GetValueAtPercentile(99)):F2} µs, p99.9 {Us(histogram.GetValueAtPercentile(99.9)):F2} µs, max {Us(histogram.GetMaxValue()):F2} µs ({histogram.TotalCount:N0} events)");
            report.Metric("latency", load.Name, "p50", Us(histogram.GetValueAtPercentile(50)), "us");
            report.Metric("latency", load.Name, "p99", Us(histogram.GetValueAtPercentile(99)), "us");
            report.Metric("latency", load.Name, "p99.9", Us(histogram.GetValueAtPercentile(99.9)), "us");
            report.Metric("latency", load.Name, "max", Us(histogram.GetMaxValue()), "us");
            report.Metric("latency", load.Name, "achieved", rate, "events/s");
        }
    }

    private static double RunOnce(OfferedLoad load, LongHistogram histogram)
    {
        var events = QuickSettings.Scaled(load.Events, 100_000);
        var op = new KeyedAggregator<LatencyEvent, long, LatencyTotals.State, LatencyTotals, LatencyTotals.Spec>(PacedProducer.Keys * 2);
        var probe = new VisibilityProbe(op, histogram);
        var before = histogram.TotalCount;
        var kernel = new StreamKernel<LatencyEvent>(new StreamKernelOptions { RingSize = 1 << 16, ProducerType = ProducerType.Single });
        kernel.AddHandler("totals", probe);
        kernel.Start();
        var rate = PacedProducer.Run(kernel, events, load.EventsPerSecond);
        kernel.CompleteAsync().GetAwaiter().GetResult();
        kernel.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (histogram.TotalCount - before != events || op.EventsSeen != events)
            throw new InvalidOperationException($"latency {load.Name}: published {events} events, the operator saw {op.EventsSeen}, the probe recorded {histogram.TotalCount - before}");
        return rate;
    }

    private static double Us(long nanos) => nanos / 1000.0;
}
