using System.Diagnostics.Metrics;
using Kernel.Ring;
using Kernel.Runtime;

namespace Kernel.Tests.Runtime;

public sealed class KernelMetricsTests
{
    /// <summary>Listens to the Kernel meter's instruments for one kernel (by its name tag) and keeps the last value per instrument and handler.</summary>
    private sealed class KernelListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _kernel;
        public readonly Dictionary<string, long> Values = [];

        public KernelListener(string kernel)
        {
            _kernel = kernel;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Kernel")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>(OnMeasurement);
            _listener.Start();
        }

        private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            string? kernel = null, handler = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "kernel") kernel = tag.Value as string;
                if (tag.Key == "handler") handler = tag.Value as string;
            }
            if (kernel != _kernel)
                return;
            var key = handler is null ? instrument.Name : $"{instrument.Name}/{handler}";
            lock (Values)
                Values[key] = instrument is Counter<long> && Values.TryGetValue(key, out var sum) ? sum + value : value;
        }

        public void Collect() => _listener.RecordObservableInstruments();

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Kernel_ReportsPublishedOccupancyProcessedAndErrors()
    {
        var name = $"metrics-{Guid.NewGuid():N}";
        using var listener = new KernelListener(name);
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions
        {
            Name = name,
            RingSize = 64,
            ExceptionPolicy = RingExceptionPolicy.ReportAndContinue,
        });
        var recorder = new TickRecorder();
        kernel.AddHandler("journal", recorder);
        kernel.AddHandler("failing", new FailOnceHandler());

        for (var i = 0; i < 10; i++)
            kernel.Publish(new Tick(i));
        kernel.PublishWatermark(5);
        listener.Collect();
        // Not started: all 11 entries wait in the ring.
        Assert.Equal(10, listener.Values["kernel.events.published"]);
        Assert.Equal(11, listener.Values["kernel.ring.occupancy"]);
        Assert.Equal(0, listener.Values["kernel.handler.processed/journal"]);

        kernel.Start();
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        listener.Collect();

        Assert.Equal(10, listener.Values["kernel.events.published"]);
        Assert.Equal(0, listener.Values["kernel.ring.occupancy"]);
        // 10 events, a watermark and end of input.
        Assert.Equal(12, listener.Values["kernel.handler.processed/journal"]);
        Assert.Equal(12, listener.Values["kernel.handler.processed/failing"]);
        Assert.Equal(1, listener.Values["kernel.handler.errors/failing"]);
    }

    private sealed class FailOnceHandler : IBatchHandler<Tick>
    {
        private bool _failed;

        public void OnBatch(ReadOnlySpan<RingEntry<Tick>> entries, long firstSequence)
        {
            if (_failed)
                return;
            _failed = true;
            throw new InvalidOperationException("first batch fails");
        }
    }
}
