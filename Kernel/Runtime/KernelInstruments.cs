using System.Diagnostics.Metrics;
using Kernel.Operators;

namespace Kernel.Runtime;

/// <summary>The observable instruments of one kernel.</summary>
internal sealed class KernelInstruments<TEvent>
{
    public KernelInstruments(KernelMetrics metrics, StreamKernel<TEvent> kernel)
    {
        var tag = metrics.KernelTag;
        var meter = metrics.Meter;
        meter.CreateObservableCounter("kernel.events.published",
            () => new Measurement<long>(kernel.EventsPublished, tag),
            "{event}", "Events published into the ring (control entries excluded).");
        meter.CreateObservableGauge("kernel.ring.occupancy",
            () => new Measurement<long>(kernel.Ring.Occupancy, tag),
            "{entry}", "Entries published and not yet finished by the slowest handler.");
        meter.CreateObservableCounter("kernel.handler.processed",
            () => Processed(kernel, tag),
            "{entry}", "Ring entries (events and control entries) each handler has finished.");
        meter.CreateObservableCounter("kernel.window.late_events",
            () => LateEvents(kernel, tag),
            "{event}", "Events each windowed operator found too late to change a result (handed to its late-events sink, never dropped).");
    }

    private static Measurement<long>[] LateEvents(StreamKernel<TEvent> kernel, KeyValuePair<string, object?> tag)
    {
        var result = new List<Measurement<long>>();
        foreach (var (name, processor) in kernel.Handlers)
        {
            if (processor.Handler is ILateEventCount counted)
                result.Add(new Measurement<long>(counted.LateEvents, tag, new KeyValuePair<string, object?>("handler", name)));
        }
        return [.. result];
    }

    private static Measurement<long>[] Processed(StreamKernel<TEvent> kernel, KeyValuePair<string, object?> tag)
    {
        var handlers = kernel.Handlers;
        var result = new Measurement<long>[handlers.Count];
        var i = 0;
        foreach (var (name, processor) in handlers)
            result[i++] = new Measurement<long>(processor.ProcessedSequence + 1, tag, new KeyValuePair<string, object?>("handler", name));
        return result;
    }
}
