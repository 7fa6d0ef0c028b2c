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
    private readonly LongHistogram _histogram;
    private readonly double _nanosPerTick = 1e9 / Stopwatch.Frequency;
    private long _recorded; // Volatile.Write by the handler thread; read by the producer to wait for the last event.

    /// <summary>Creates a probe over <paramref name="op"/> recording into <paramref name="histogram"/>.</summary>
    public VisibilityProbe(KeyedAggregator<LatencyEvent, long, LatencyTotals.State, LatencyTotals, LatencyTotals.Spec> op, LongHistogram histogram)
    {
        _op = op;
        _histogram = histogram;
    }

    /// <summary>Events recorded so far.</summary>
    public long Recorded => Volatile.Read(ref _recorded);

    /// <inheritdoc/>
    public void OnBatch(ReadOnlySpan<RingEntry<LatencyEvent>> entries, long firstSequence)
    {
        _op.OnBatch(entries, firstSequence);
        var now = Stopwatch.GetTimestamp();
        var recorded = 0;
        var max = _histogram.HighestTrackableValue;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Kind != EntryKind.Event) continue;
            var nanos = (long)((now - entry.Event.IntendedTicks) * _nanosPerTick);
            _histogram.RecordValue(Math.Clamp(nanos, 0, max));
            recorded++;
        }
        Volatile.Write(ref _recorded, _recorded + recorded);
    }
}
