using System.Diagnostics.Metrics;
using Kernel.Ring;

namespace Kernel.Runtime;

/// <summary>
/// The kernel's instruments on the <c>Kernel</c> meter. Counts that change per event are
/// observed (read from the ring's own sequences when a listener collects), so the hot path
/// pays nothing for them; only handler errors are counted as they happen.
/// </summary>
internal sealed class KernelMetrics : IDisposable
{
    /// <summary>The meter name every kernel publishes under.</summary>
    public const string MeterName = "Kernel";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _handlerErrors;
    private readonly KeyValuePair<string, object?> _kernelTag;

    public KernelInstruments<TEvent> For<TEvent>(StreamKernel<TEvent> kernel) => new(this, kernel);

    public KernelMetrics(string kernelName, IMeterFactory? meterFactory)
    {
        _kernelTag = new("kernel", kernelName);
        if (meterFactory is not null)
            _meter = meterFactory.Create(new MeterOptions(MeterName));
        else
        {
            _meter = new Meter(MeterName);
            _ownsMeter = true;
        }
        _handlerErrors = _meter.CreateCounter<long>("kernel.handler.errors", "{error}", "Exceptions thrown by handlers.");
    }

    public Meter Meter => _meter;

    public KeyValuePair<string, object?> KernelTag => _kernelTag;

    public void HandlerError(string handler) =>
        _handlerErrors.Add(1, _kernelTag, new KeyValuePair<string, object?>("handler", handler));

    public void Dispose()
    {
        if (_ownsMeter)
            _meter.Dispose();
    }
}
