using System.Diagnostics;
using HdrHistogram;
using Kernel.Operators;
using Kernel.Ring;

namespace Kernel.Bench.Latency;

/// <summary>
/// The ring handler of the latency suite: hands each batch to the keyed operator, then — at the point
/// a sink callback or a query on the operator's thread would run, when the batch's events are in the
/// operator's state — reads the clock once and records, per event, now − its intended send time into
/// an HdrHistogram (nanoseconds). One clock read per batch; per event one subtraction and one
/// histogram increment, no allocation.
/// </summary>
public sealed class VisibilityProbe : IBatchHandler<LatencyEvent>
{
    private readonly KeyedAggregator<LatencyEvent, long, LatencyTotals.State, LatencyTotals, LatencyTotals.Spec> _op;
    private readonly LongHistogram _histogram; // written only on the handler thread; read after the kernel completes (its completion orders the reads)
    private readonly double _nanosPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>Creates a probe over <paramref name="op"/> recording into <paramref name="histogram"/>.</summary>
    public VisibilityProbe(KeyedAggregator<LatencyEvent, long, LatencyTotals.State, LatencyTotals, LatencyTotals.Spec> op, LongHistogram histogram)
    {
        _op = op;
        _histogram = histogram;
    }

    /// <inheritdoc/>
    public void OnBatch(ReadOnlySpan<RingEntry<LatencyEvent>> entries, long firstSequence)
    {
        _op.OnBatch(entries, firstSequence);
        var now = Stopwatch.GetTimestamp();
        var max = _histogram.HighestTrackableValue;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Kind != EntryKind.Event) continue;
            var nanos = (long)((now - entry.Event.IntendedTicks) * _nanosPerTick);
            _histogram.RecordValue(Math.Clamp(nanos, 0, max));
        }
    }
}
