using System.Runtime.CompilerServices;

namespace Kernel.Ring;

/// <summary>
/// Runs one <see cref="IBatchHandler{T}"/> on its own thread: waits for entries through its
/// barrier, hands the handler every available entry at once (two calls when the run wraps
/// around the end of the ring), then publishes its progress so producers and dependent
/// handlers move on. Created by <see cref="RingPipeline{T}.AddHandler"/>.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
public sealed class BatchEventProcessor<T>
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int Stopped = 2;

    private readonly RingBuffer<T> _ring;
    private readonly SequenceBarrier _barrier;
    private readonly RingPipeline<T> _pipeline;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Idle -> Running (the thread started) or Idle -> Stopped (halted first); Running -> Stopped.
    // Interlocked transitions.
    private int _state;

    // Set by Halt (volatile): the loop exits at its next look, whatever remains.
    private volatile bool _haltRequested;

    // long.MaxValue, or the sequence a drain must reach before the loop exits. Volatile.Write by
    // Drain (before the barrier alert that wakes the loop), Volatile.Read by the loop.
    private long _drainTarget = long.MaxValue;

    // Abandoned slots (multi-producer) this processor has skipped so far; loop-thread only.
    private long _abandonedSeen;

    // The sequencer's count of abandoned slots (its own padded line), read once per batch.
    private readonly Sequence _abandonedCount;

    internal BatchEventProcessor(RingBuffer<T> ring, IBatchHandler<T> handler, SequenceBarrier barrier, RingPipeline<T> pipeline, int index)
    {
        _ring = ring;
        Handler = handler;
        _barrier = barrier;
        _pipeline = pipeline;
        _abandonedCount = ring.Sequencer.AbandonedCount;
        _idle = barrier.IdleTimeoutMs == Timeout.Infinite ? null : handler as IIdleHandler;
        Index = index;
    }

    // The handler as an idle handler when its barrier's waits time out (see IIdleHandler); else null.
    private readonly IIdleHandler? _idle;

    /// <summary>The handler this processor runs.</summary>
    public IBatchHandler<T> Handler { get; }

    /// <summary>The position of this processor in its pipeline (order of <see cref="RingPipeline{T}.AddHandler"/>).</summary>
    public int Index { get; }

    /// <summary>The last sequence the handler finished (-1 before the first batch).</summary>
    public long ProcessedSequence => Sequence.Value;

    /// <summary>Completes when the processor's loop has exited (or it was halted before it started).</summary>
    public Task Completion => _completion.Task;

    /// <summary>This processor's progress: producers and dependent handlers gate on it.</summary>
    internal Sequence Sequence { get; } = new();

    /// <summary>Stops the loop at its next look; if it never started, it never will.</summary>
    internal void Halt()
    {
        _haltRequested = true;
        if (Interlocked.CompareExchange(ref _state, Stopped, Idle) == Idle)
            _completion.TrySetResult();
        _barrier.Alert();
    }

    /// <summary>Lets the loop run until it has handled <paramref name="target"/>, then exit.</summary>
    internal void Drain(long target)
    {
        Volatile.Write(ref _drainTarget, target);
        _barrier.Alert();
    }

    /// <summary>The processor loop; runs on the thread the pipeline started for it.</summary>
    internal void Run()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Idle) != Idle)
        {
            // Halted between the pipeline's start and this thread's first step: still counted
            // as running by the pipeline, so report the stop.
            _pipeline.OnProcessorStopped();
            return;
        }
        try
        {
            Loop();
        }
        finally
        {
            Volatile.Write(ref _state, Stopped);
            // Own completion first: once the pipeline completes, every processor has.
            _completion.TrySetResult();
            _pipeline.OnProcessorStopped();
        }
    }

    // The most entries handed to the handler per call. The slots of a batch are released only when the
    // call returns, so a handler behind its producer, given the whole ring at once, leaves the producer
    // waiting for all of it (the two threads take turns); in chunks the producer refills behind it.
    private const long MaxBatch = 4096;

    private void Loop()
    {
        var barrier = _barrier;
        var sequence = Sequence;
        var signal = _ring.Sequencer.Signal;
        var room = _ring.Sequencer.RoomSignal;
        var next = sequence.Value + 1;
        var spin = new SpinWait();
        var yieldAfterSmallBatch = barrier.YieldsAfterSmallBatch;
        var pauseAfterSmallBatch = barrier.PausesAfterSmallBatch;
        while (!_haltRequested)
        {
            var available = barrier.WaitFor(next);
            if (available - next >= MaxBatch) available = next + MaxBatch - 1;
            if (available >= next)
            {
                if (!TryHandle(next, available))
                    return;
                if (RingCounters.Enabled)
                {
                    RingCounters.Add(RingCounters.Kind.ConsumerBatches);
                    RingCounters.Add(RingCounters.Kind.ConsumerEntries, available - next + 1);
                }
                // Release write: producers and dependent handlers see the slots as handled.
                sequence.SetValue(available);
                // Handlers that run after this one, and producers waiting for room.
                signal.Notify();
                room.Notify();
                var small = available - next < SequenceBarrier.SmallBatch - 1;
                next = available + 1;
                if (available >= Volatile.Read(ref _drainTarget))
                    return;
                if (small && yieldAfterSmallBatch)
                {
                    // Several producers and a small batch: let a producer waiting for this CPU run
                    // instead of chasing the others entry by entry (see SequenceBarrier).
                    RingCounters.Add(RingCounters.Kind.ConsumerBatchYields);
                    Thread.Yield();
                }
                else if (small && pauseAfterSmallBatch && barrier.SpinHistory.PausingPays && IsChasing(barrier, next))
                {
                    // One producer, running on another CPU (pausing has been paying) and streaming
                    // (a few more entries are there already), after a small batch: let it get ahead
                    // before looking again (see SequenceBarrier).
                    RingCounters.Add(RingCounters.Kind.ConsumerBatchYields);
                    Thread.SpinWait(SequenceBarrier.SmallBatchPause);
                }
                continue;
            }
            if (!barrier.IsAlerted)
            {
                // The wait timed out: nothing arrived for the idle interval. Let processing time act
                // on this thread, between batches, then wait again.
                if (_idle is not null && !TryIdle(next))
                    return;
                continue;
            }
            // Alerted: halted (the loop condition), or draining.
            if (next > Volatile.Read(ref _drainTarget))
                return;
            // Draining and not there yet: the rest is claimed and about to be published, or an
            // upstream handler is still on it. The barrier no longer sleeps; back off instead.
            spin.SpinOnce();
        }
    }

    // True when some entries, but fewer than a small batch, are readable right after a small batch:
    // the producer is publishing as fast as this processor reads. A producer publishing now and then
    // leaves nothing there, and its next entry is caught by the wait without a pause's delay.
    private static bool IsChasing(SequenceBarrier barrier, long next)
    {
        var available = barrier.Poll(next);
        return available >= next && available - next < SequenceBarrier.SmallBatch - 1;
    }

    /// <summary>Hands <paramref name="first"/>..<paramref name="last"/> to the handler; false when the pipeline must halt.</summary>
    private bool TryHandle(long first, long last)
    {
        try
        {
            if (_abandonedCount.Value != _abandonedSeen)
                DispatchSkippingAbandoned(first, last);
            else
                Dispatch(first, last);
            return true;
        }
        catch (Exception ex)
        {
            return _pipeline.OnHandlerError(new HandlerError<T>(ex, Handler, first, last));
        }
    }

    /// <summary>Calls <see cref="IIdleHandler.OnIdle"/>; false when its exception must halt the pipeline.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryIdle(long next)
    {
        try
        {
            _idle!.OnIdle();
            return true;
        }
        catch (Exception ex)
        {
            // No entry was being handled: the error names the last one handled (next − 1) as both ends.
            return _pipeline.OnHandlerError(new HandlerError<T>(ex, Handler, next - 1, next - 1));
        }
    }

    /// <summary>One call, or two when the run wraps around the end of the ring.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Dispatch(long first, long last)
    {
        var size = _ring.BufferSize;
        var index = (int)(first & (size - 1));
        var count = last - first + 1;
        var head = (int)Math.Min(count, size - index);
        Handler.OnBatch(_ring.Slots(index, head), first);
        if (count > head)
            Handler.OnBatch(_ring.Slots(0, (int)(count - head)), first + head);
    }

    /// <summary>
    /// The rare path after a multi-producer claim was abandoned: hands over the runs between
    /// abandoned slots. It keeps scanning batches until it has skipped as many abandoned slots
    /// as were counted, since a slot can be counted before it is published.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DispatchSkippingAbandoned(long first, long last)
    {
        var runStart = first;
        for (var s = first; s <= last; s++)
        {
            if (_ring.SlotAt(s).Kind != RingBuffer<T>.AbandonedKind)
                continue;
            if (s > runStart)
                Dispatch(runStart, s - 1);
            _abandonedSeen++;
            runStart = s + 1;
        }
        if (runStart <= last)
            Dispatch(runStart, last);
    }
}
