namespace Kernel.Ring;

/// <summary>
/// The handlers of one <see cref="RingBuffer{T}"/> and their threads: handlers added without
/// dependencies see every entry side by side (multicast); a handler added
/// <c>after</c> others sees an entry only once they all finished it. Add handlers, then
/// <see cref="Start"/>; stop with <see cref="ShutdownAsync"/> (drains what was published) or
/// <see cref="Halt"/> (stops now).
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
public sealed class RingPipeline<T>
{
    private const int Configuring = 0;
    private const int Started = 1;
    private const int Stopping = 2;

    private readonly RingBuffer<T> _ring;
    private readonly RingExceptionPolicy _policy;
    private readonly Action<HandlerError<T>>? _onError;
    private readonly List<BatchEventProcessor<T>> _processors = [];

    // Completed by the last processor thread as it exits (or by Halt before any started), with nothing held:
    // so the continuations run there, inline. A caller blocked on CompleteAsync is then woken by that thread
    // itself; with RunContinuationsAsynchronously the wake went through a thread-pool worker first, which
    // on a loaded 2-core machine took 0.5-20 ms (Kernel.Bench/Notes/aggregate.md, session 15).
    private readonly TaskCompletionSource _completion = new();

    // Configuring -> Started -> Stopping, or Configuring -> Stopping. Interlocked transitions.
    private int _state;

    // Processors whose loop has not exited yet; the last one out completes the pipeline.
    private int _running;

    // The first exception that halted the pipeline (Halt policy, or an error callback that threw).
    private Exception? _fault;

    /// <summary>Creates an empty pipeline over <paramref name="ring"/>.</summary>
    /// <param name="ring">The ring whose entries the handlers read.</param>
    /// <param name="policy">What a handler exception does.</param>
    /// <param name="onError">
    /// Receives every handler exception (on the handler's thread). Required with
    /// <see cref="RingExceptionPolicy.ReportAndContinue"/>; with <see cref="RingExceptionPolicy.Halt"/>
    /// it is called before the halt. If it throws, the pipeline halts with both exceptions.
    /// </param>
    public RingPipeline(RingBuffer<T> ring, RingExceptionPolicy policy = RingExceptionPolicy.Halt, Action<HandlerError<T>>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (policy is not (RingExceptionPolicy.Halt or RingExceptionPolicy.ReportAndContinue))
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown exception policy.");
        if (policy == RingExceptionPolicy.ReportAndContinue && onError is null)
            throw new ArgumentNullException(nameof(onError), "ReportAndContinue needs an error callback, or exceptions would be lost.");
        _ring = ring;
        _policy = policy;
        _onError = onError;
    }

    /// <summary>The ring the handlers read.</summary>
    public RingBuffer<T> Ring => _ring;

    /// <summary>The processors, in the order their handlers were added.</summary>
    public IReadOnlyList<BatchEventProcessor<T>> Processors => _processors;

    /// <summary>Called on each processor's thread before its loop starts (name it, pin it to a CPU).</summary>
    public Action<BatchEventProcessor<T>>? ProcessorThreadStarting { get; init; }

    /// <summary>
    /// How long a processor whose handler is an <see cref="IIdleHandler"/> waits with nothing to read
    /// before it calls <see cref="IIdleHandler.OnIdle"/> (then waits again, and so on while the ring stays
    /// quiet). Zero (the default) or <see cref="Timeout.InfiniteTimeSpan"/>: never. Whole milliseconds,
    /// at least one; other handlers wait as before.
    /// </summary>
    public TimeSpan IdleInterval { get; init; }

    /// <summary>Completes when every processor has stopped; faulted with <see cref="Fault"/> when a handler exception halted the pipeline.</summary>
    /// <remarks>Set by the last processor thread as it exits; continuations that may run synchronously run on that thread.</remarks>
    public Task Completion => _completion.Task;

    /// <summary>The exception that halted the pipeline, if any.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Adds a handler that sees every entry after the handlers of <paramref name="after"/> have
    /// (none: it runs side by side with the others). The ring will not lap it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The pipeline was already started or stopped.</exception>
    public BatchEventProcessor<T> AddHandler(IBatchHandler<T> handler, params ReadOnlySpan<BatchEventProcessor<T>> after)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Volatile.Read(ref _state) != Configuring)
            throw new InvalidOperationException("Handlers are added before the pipeline starts.");
        var dependents = new Sequence[after.Length];
        for (var i = 0; i < after.Length; i++)
        {
            if (!_processors.Contains(after[i]))
                throw new ArgumentException($"after[{i}] is not a processor of this pipeline.", nameof(after));
            dependents[i] = after[i].Sequence;
        }
        var idleMs = handler is IIdleHandler ? IdleTimeoutMs(IdleInterval) : Timeout.Infinite;
        var barrier = new SequenceBarrier(_ring.Sequencer, _ring.WaitStrategy, dependents, idleMs);
        var processor = new BatchEventProcessor<T>(_ring, handler, barrier, this, _processors.Count);
        // Gate producers on every processor (the slowest one decides); configuration time only.
        _ring.Sequencer.AddGatingSequence(processor.Sequence);
        _processors.Add(processor);
        return processor;
    }

    private static int IdleTimeoutMs(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero || interval == Timeout.InfiniteTimeSpan)
            return Timeout.Infinite;
        return (int)Math.Clamp(Math.Ceiling(interval.TotalMilliseconds), 1, int.MaxValue);
    }

    /// <summary>Starts one thread per handler.</summary>
    /// <exception cref="InvalidOperationException">The pipeline was already started or stopped.</exception>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, Started, Configuring) != Configuring)
            throw new InvalidOperationException("The pipeline was already started or stopped.");
        StartProcessors();
    }

    private void StartProcessors()
    {
        Volatile.Write(ref _running, _processors.Count);
        if (_processors.Count == 0)
        {
            _completion.TrySetResult();
            return;
        }
        foreach (var processor in _processors)
        {
            var thread = new Thread(RunProcessor)
            {
                IsBackground = true,
                Name = $"ring-{processor.Index}-{processor.Handler.GetType().Name}",
            };
            thread.Start(processor);
        }
    }

    private void RunProcessor(object? state)
    {
        var processor = (BatchEventProcessor<T>)state!;
        try
        {
            ProcessorThreadStarting?.Invoke(processor);
        }
        catch (Exception ex)
        {
            // A failing start hook is a handler error for the policy's purpose: halt.
            RecordFault(ex);
            Halt();
        }
        processor.Run();
    }

    /// <summary>
    /// Stops every processor now (entries not yet handled stay unhandled) and closes the ring for
    /// producers. Safe before <see cref="Start"/> (nothing will run) and safe to repeat.
    /// </summary>
    public void Halt()
    {
        var previous = Interlocked.Exchange(ref _state, Stopping);
        foreach (var processor in _processors)
            processor.Halt();
        _ring.Sequencer.Close();
        if (previous == Configuring)
            Complete();
    }

    /// <summary>
    /// Lets every handler finish every entry published before the call, then stops them and
    /// closes the ring. Before <see cref="Start"/> it starts the handlers first, so entries
    /// published before the start are drained too (use <see cref="Halt"/> to drop them).
    /// Completes with <see cref="Completion"/> (faulted if a handler exception halted the pipeline).
    /// </summary>
    public Task ShutdownAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Started, Configuring) == Configuring)
            StartProcessors();
        var previous = Interlocked.CompareExchange(ref _state, Stopping, Started);
        if (previous == Started)
        {
            var target = _ring.Sequencer.ClaimedCursor;
            foreach (var processor in _processors)
                processor.Drain(target);
        }
        return Completion;
    }

    /// <summary>
    /// <see cref="ShutdownAsync"/>, waiting up to <paramref name="timeout"/>; on time-out the
    /// pipeline is halted and false returned.
    /// </summary>
    public bool Shutdown(TimeSpan timeout)
    {
        var completion = ShutdownAsync();
        if (((IAsyncResult)completion).AsyncWaitHandle.WaitOne(timeout))
            return true;
        Halt();
        return false;
    }

    /// <summary>Applies the policy; true when the processor goes on with its next batch.</summary>
    internal bool OnHandlerError(HandlerError<T> error)
    {
        if (_onError is not null)
        {
            try
            {
                _onError(error);
            }
            catch (Exception callbackError)
            {
                RecordFault(new AggregateException("A handler threw and the error callback threw too.", error.Exception, callbackError));
                Halt();
                return false;
            }
        }
        if (_policy == RingExceptionPolicy.ReportAndContinue)
            return true;
        RecordFault(error.Exception);
        Halt();
        return false;
    }

    internal void OnProcessorStopped()
    {
        if (Interlocked.Decrement(ref _running) == 0)
        {
            // Every processor is gone: nobody frees room any more.
            _ring.Sequencer.Close();
            Complete();
        }
    }

    private void RecordFault(Exception ex) => Interlocked.CompareExchange(ref _fault, ex, null);

    private void Complete()
    {
        var fault = Fault;
        if (fault is null)
            _completion.TrySetResult();
        else
            _completion.TrySetException(fault);
    }
}
