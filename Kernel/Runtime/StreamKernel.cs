using System.Diagnostics.Metrics;
using Kernel.Ring;
using Kernel.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kernel.Runtime;

/// <summary>
/// An embedded stream: events published here travel through a ring buffer to every attached
/// handler, in order, with watermarks and barriers in band. Add handlers, <see cref="Start"/>,
/// publish, then <see cref="CompleteAsync"/> (end of input, drain) or dispose (drain).
/// </summary>
/// <example>
/// <code>
/// await using var kernel = new StreamKernel&lt;Order&gt;(new StreamKernelOptions { RingSize = 1 &lt;&lt; 14 });
/// kernel.AddHandler("revenue", new RevenueOperator());
/// kernel.Start();
/// foreach (var order in orders) kernel.Publish(order);
/// await kernel.CompleteAsync();
/// </code>
/// </example>
/// <typeparam name="TEvent">The event type; an unmanaged struct on the hot path.</typeparam>
public sealed partial class StreamKernel<TEvent> : IAsyncDisposable, ISourceTarget<TEvent>
{
    private const int Configuring = 0;
    private const int Running = 1;
    private const int Stopping = 2;

    private readonly StreamKernelOptions _options;
    private readonly RingBuffer<TEvent> _ring;
    private readonly RingPipeline<TEvent> _pipeline;
    private readonly ILogger _logger;
    private readonly KernelMetrics _metrics;
    private readonly List<KeyValuePair<string, BatchEventProcessor<TEvent>>> _handlers = [];

    // Configuring -> Running -> Stopping, or Configuring -> Stopping. Interlocked transitions.
    private int _state;

    // Control entries published so far (rare; interlocked), so the event count can be derived
    // from the ring cursor without counting on the event path.
    private long _controlEntries;

    /// <summary>Creates a kernel.</summary>
    /// <param name="options">Settings (copied); defaults when null.</param>
    /// <param name="loggerFactory">Where handler errors and lifecycle messages go; none when null.</param>
    /// <param name="meterFactory">Creates the <c>Kernel</c> meter; a meter of the kernel's own when null.</param>
    public StreamKernel(StreamKernelOptions? options = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        _options = (options ?? new StreamKernelOptions()).Clone();
        _options.Validate();
        Name = _options.Name ?? typeof(TEvent).Name;
        _logger = (ILogger?)loggerFactory?.CreateLogger<StreamKernel<TEvent>>() ?? NullLogger.Instance;
        _ring = new RingBuffer<TEvent>(_options.RingSize, _options.ProducerType, _options.WaitStrategy);
        _pipeline = new RingPipeline<TEvent>(_ring, _options.ExceptionPolicy, OnHandlerError) { IdleInterval = _options.IdleInterval };
        _metrics = new KernelMetrics(Name, meterFactory);
        _metrics.For(this);
    }

    /// <summary>The kernel's name (the <c>kernel</c> tag of its metrics).</summary>
    public string Name { get; }

    /// <summary>The ring the events travel through (for sources that fill slots in place).</summary>
    public RingBuffer<TEvent> Ring => _ring;

    /// <summary>
    /// Events published so far (claimed, for several producers); control entries excluded. Never decreases (it feeds the
    /// <c>kernel.events.published</c> counter): a synchronous control publish counted while it waits for its claim would
    /// otherwise read one low meanwhile.
    /// </summary>
    public long EventsPublished
    {
        get
        {
            var now = _ring.Cursor + 1 - Volatile.Read(ref _controlEntries);
            var seen = Volatile.Read(ref _eventsPublishedSeen);
            while (now > seen)
            {
                var prior = Interlocked.CompareExchange(ref _eventsPublishedSeen, now, seen);
                if (prior == seen) return now;
                seen = prior;
            }
            return seen;
        }
    }

    // The largest EventsPublished has returned (so that it never goes back).
    private long _eventsPublishedSeen;

    /// <summary>The handlers by name, in the order they were added.</summary>
    public IReadOnlyList<KeyValuePair<string, BatchEventProcessor<TEvent>>> Handlers => _handlers;

    /// <summary>Completes when every handler has stopped; faulted when a handler exception halted the kernel.</summary>
    /// <remarks>
    /// The last handler thread completes it as it exits, and continuations that may run synchronously run
    /// there (so a caller blocked on <see cref="CompleteAsync"/> is woken directly, with no thread-pool hop
    /// between). Code after an <c>await</c> without a synchronization context may therefore go on on that
    /// (background) thread; it holds no lock and has finished all its work by then.
    /// </remarks>
    public Task Completion => _pipeline.Completion;

    /// <summary>
    /// Attaches a handler. Without <paramref name="after"/> it sees every event side by side with
    /// the others; with it, only once the named handlers have finished that event.
    /// </summary>
    /// <param name="name">A unique name: the <c>handler</c> tag of its metrics and its name in logs.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="after">Names of handlers (already added) that must finish each event first.</param>
    /// <returns>The handler's processor (its progress and completion).</returns>
    /// <exception cref="InvalidOperationException">The kernel was already started.</exception>
    public BatchEventProcessor<TEvent> AddHandler(string name, IBatchHandler<TEvent> handler, params ReadOnlySpan<string> after)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        if (Volatile.Read(ref _state) != Configuring)
            throw new InvalidOperationException($"Kernel {Name}: handlers are added before Start.");
        if (Find(name) is not null)
            throw new ArgumentException($"Kernel {Name} already has a handler named '{name}'.", nameof(name));
        var dependencies = new BatchEventProcessor<TEvent>[after.Length];
        for (var i = 0; i < after.Length; i++)
        {
            dependencies[i] = Find(after[i])
                ?? throw new ArgumentException($"Kernel {Name}: handler '{name}' runs after '{after[i]}', which was not added (add it first).", nameof(after));
        }
        var processor = _pipeline.AddHandler(handler, dependencies);
        _handlers.Add(new(name, processor));
        return processor;
    }

    /// <summary>Starts the handlers' threads.</summary>
    /// <exception cref="InvalidOperationException">The kernel was already started or stopped.</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Configuring) != Configuring)
            throw new InvalidOperationException($"Kernel {Name} was already started or stopped.");
        StartPipeline();
    }

    private void StartPipeline()
    {
        _pipeline.Start();
        KernelLog.Started(_logger, Name, _handlers.Count, _ring.BufferSize);
    }

    private BatchEventProcessor<TEvent>? Find(string name)
    {
        foreach (var (n, p) in _handlers)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
                return p;
        }
        return null;
    }

    private string NameOf(IBatchHandler<TEvent> handler)
    {
        foreach (var (n, p) in _handlers)
        {
            if (ReferenceEquals(p.Handler, handler))
                return n;
        }
        return handler.GetType().Name;
    }

    private void OnHandlerError(HandlerError<TEvent> error)
    {
        var handler = NameOf(error.Handler);
        _metrics.HandlerError(handler);
        KernelLog.HandlerFailed(_logger, Name, handler, error.FirstSequence, error.LastSequence,
            _options.ExceptionPolicy == RingExceptionPolicy.Halt, error.Exception);
    }
}
