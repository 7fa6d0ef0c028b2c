using Kernel.Ring;

namespace Kernel.Tests.Ring;

/// <summary>
/// docs/ring.md's claims about idle calls, halting and stopping that no other test pinned down (session 24's
/// audit): an exception from <see cref="IIdleHandler.OnIdle"/> goes through the exception policy; a halt stops a
/// running pipeline with entries left unhandled; a shutdown waits for entries claimed before it; the last processor
/// to exit closes the ring; the idle interval's defaults.
/// </summary>
public sealed class PipelineLifecycleTests
{
    private static readonly TimeSpan Timeout = RingTestSupport.Timeout;

    [Fact]
    public async Task OnIdleThrows_HaltPolicy_FaultsThePipeline_NamingTheLastHandledSequence()
    {
        var ring = new RingBuffer<TestEvent>(16);
        var errors = new List<HandlerError<TestEvent>>();
        var failure = new InvalidDataException("idle failed");
        var handler = new IdleThrower(failure, throwOnIdle: 1);
        var pipeline = new RingPipeline<TestEvent>(ring, RingExceptionPolicy.Halt, e => { lock (errors) errors.Add(e); })
        {
            IdleInterval = TimeSpan.FromMilliseconds(1),
        };
        pipeline.AddHandler(handler);
        for (var i = 0; i < 3; i++)
            ring.Publish(new TestEvent(0, i));   // before the start: the first batch is exactly 0..2

        pipeline.Start();

        var thrown = await Assert.ThrowsAsync<InvalidDataException>(() => pipeline.Completion.WaitAsync(Timeout));
        Assert.Same(failure, thrown);
        Assert.Same(failure, pipeline.Fault);
        HandlerError<TestEvent> error;
        lock (errors) error = Assert.Single(errors);
        Assert.Same(failure, error.Exception);
        Assert.Same(handler, error.Handler);
        Assert.Equal((2L, 2L), (error.FirstSequence, error.LastSequence));
        Assert.Equal(2, pipeline.Processors[0].ProcessedSequence);
        Assert.Equal(3, handler.Handled);
        Assert.True(ring.Sequencer.IsClosed);   // halted: a producer waiting for room gets an exception
    }

    [Fact]
    public async Task OnIdleThrows_ReportAndContinue_ReportsIt_AndIdleCallsAndBatchesGoOn()
    {
        var ring = new RingBuffer<TestEvent>(16);
        var errors = new List<HandlerError<TestEvent>>();
        var failure = new InvalidDataException("idle failed");
        var handler = new IdleThrower(failure, throwOnIdle: 1);
        var pipeline = new RingPipeline<TestEvent>(ring, RingExceptionPolicy.ReportAndContinue, e => { lock (errors) errors.Add(e); })
        {
            IdleInterval = TimeSpan.FromMilliseconds(1),
        };
        pipeline.AddHandler(handler);
        pipeline.Start();

        await handler.WhenIdles(3).WaitAsync(Timeout);   // the first threw; the processor went on calling
        ring.Publish(new TestEvent(0, 0));
        await handler.WhenHandled(1).WaitAsync(Timeout);
        await pipeline.ShutdownAsync().WaitAsync(Timeout);

        Assert.Null(pipeline.Fault);
        HandlerError<TestEvent> error;
        lock (errors) error = Assert.Single(errors);
        Assert.Same(failure, error.Exception);
        Assert.Equal((-1L, -1L), (error.FirstSequence, error.LastSequence));   // nothing handled yet when it threw
        Assert.Equal(0, pipeline.Processors[0].ProcessedSequence);
    }

    [Fact]
    public async Task Halt_WhileAHandlerIsBusy_StopsEveryProcessor_LeavingTheRestUnhandled()
    {
        var ring = new RingBuffer<TestEvent>(16);
        using var gate = new ManualResetEventSlim(false);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var busy = new RecordingHandler(expected: 1, capacity: 16)
        {
            OnBatchStart = (_, _) =>
            {
                entered.TrySetResult();
                gate.Wait(Timeout);
            },
        };
        var other = new RecordingHandler(expected: 6, capacity: 16);
        var pipeline = new RingPipeline<TestEvent>(ring);
        var busyProcessor = pipeline.AddHandler(busy);
        var otherProcessor = pipeline.AddHandler(other);
        pipeline.Start();
        ring.Publish(new TestEvent(0, 0));
        await entered.Task.WaitAsync(Timeout);   // the busy handler holds a batch of entry 0 alone
        for (var i = 1; i <= 5; i++)
            ring.Publish(new TestEvent(0, i));

        pipeline.Halt();
        gate.Set();
        await pipeline.Completion.WaitAsync(Timeout);

        Assert.Equal(1, busy.Count);
        Assert.Equal(0, busyProcessor.ProcessedSequence);
        Assert.True(busyProcessor.Completion.IsCompletedSuccessfully);
        Assert.True(otherProcessor.Completion.IsCompletedSuccessfully);
        Assert.Null(pipeline.Fault);
        Assert.True(ring.Sequencer.IsClosed);
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public void Shutdown_WaitsForAnEntryClaimedBeforeIt_AndHandlesIt(ProducerType producerType)
    {
        // Synchronous: a claimed batch is a ref struct, which cannot live across an await.
        var ring = new RingBuffer<TestEvent>(16, producerType);
        var handler = new RecordingHandler(expected: 2);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        pipeline.Start();
        ring.Publish(new TestEvent(0, 0));
        var held = ring.Claim(1);
        held[0] = new RingEntry<TestEvent> { Event = new TestEvent(0, 1) };

        var shutdown = pipeline.ShutdownAsync();
        var done = (IAsyncResult)shutdown;
        Assert.False(done.AsyncWaitHandle.WaitOne(200));   // the processor cannot pass the claimed, unpublished entry
        held.Publish();
        held.Dispose();
        Assert.True(done.AsyncWaitHandle.WaitOne(Timeout));

        Assert.True(shutdown.IsCompletedSuccessfully);
        Assert.Equal(2, handler.Count);
        Assert.Equal(1, handler.Entries[1].Event.Number);
        Assert.Equal(1, handler.Sequences[1]);
    }

    [Fact]
    public async Task LastProcessorExiting_ClosesTheRing_SoProducersWaitingForRoomFail()
    {
        var ring = new RingBuffer<TestEvent>(4);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(new RecordingHandler(0));
        pipeline.Start();
        await pipeline.ShutdownAsync().WaitAsync(Timeout);

        Assert.True(ring.Sequencer.IsClosed);
        var producer = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 5; i++)
                ring.Publish(new TestEvent(0, i));   // 4 fit; nobody frees room for the fifth
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Assert.ThrowsAsync<InvalidOperationException>(() => producer.WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => ring.PublishAsync(new TestEvent(0, 5)).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public void IdleInterval_IsOffInABarePipeline()
    {
        Assert.Equal(TimeSpan.Zero, new RingPipeline<TestEvent>(new RingBuffer<TestEvent>(8)).IdleInterval);
    }

    [Fact]
    public async Task IdleInterval_Zero_NoIdleCalls_EvenWhileTheProcessorSleeps()
    {
        var ring = new RingBuffer<TestEvent>(16, ProducerType.Single, new BlockingWaitStrategy());
        var handler = new IdleThrower(failure: null, throwOnIdle: 0);
        var pipeline = new RingPipeline<TestEvent>(ring) { IdleInterval = TimeSpan.Zero };
        pipeline.AddHandler(handler);
        pipeline.Start();
        ring.Publish(new TestEvent(0, 0));
        await handler.WhenHandled(1).WaitAsync(Timeout);
        var deadline = DateTime.UtcNow + Timeout;
        while (ring.Sequencer.Signal.Waiters == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(1);
        Assert.Equal(1, ring.Sequencer.Signal.Waiters);   // asleep on the ring's signal

        // The clock for "long enough": a control pipeline with a 1 ms interval, started now, getting 50 idle calls. On a
        // loaded machine it takes longer, and so does the wait; no fixed sleep decides.
        var control = new IdleThrower(failure: null, throwOnIdle: 0);
        var controlPipeline = new RingPipeline<TestEvent>(new RingBuffer<TestEvent>(16, ProducerType.Single, new BlockingWaitStrategy()))
        {
            IdleInterval = TimeSpan.FromMilliseconds(1),
        };
        controlPipeline.AddHandler(control);
        controlPipeline.Start();
        await control.WhenIdles(50).WaitAsync(Timeout);
        await controlPipeline.ShutdownAsync().WaitAsync(Timeout);
        await pipeline.ShutdownAsync().WaitAsync(Timeout);

        Assert.Equal(0, handler.Idles);
    }

    /// <summary>Counts batches and idle calls, and throws <c>failure</c> from its first <c>throwOnIdle</c> idle calls.</summary>
    private sealed class IdleThrower(Exception? failure, int throwOnIdle) : IBatchHandler<TestEvent>, IIdleHandler
    {
        private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waits = [];
        private int _handled;
        private int _idles;

        public int Handled => Volatile.Read(ref _handled);
        public int Idles => Volatile.Read(ref _idles);

        public void OnBatch(ReadOnlySpan<RingEntry<TestEvent>> entries, long firstSequence)
        {
            Interlocked.Add(ref _handled, entries.Length);
            Signal();
        }

        public void OnIdle()
        {
            var idles = Interlocked.Increment(ref _idles);
            Signal();
            if (idles <= throwOnIdle) throw failure!;
        }

        public Task WhenHandled(int count) => When(() => Handled >= count);

        public Task WhenIdles(int count) => When(() => Idles >= count);

        private Task When(Func<bool> done)
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waits) _waits.Add((done, signal));
            Signal();
            return signal.Task;
        }

        private void Signal()
        {
            lock (_waits)
            {
                for (var i = _waits.Count - 1; i >= 0; i--)
                {
                    if (!_waits[i].Done()) continue;
                    _waits[i].Signal.TrySetResult();
                    _waits.RemoveAt(i);
                }
            }
        }
    }
}
