using Kernel.Ring;

namespace Kernel.Tests.Ring;

public sealed class ExceptionPolicyTests
{
    /// <summary>Records events and throws once, on the batch that holds event number <c>failAt</c>.</summary>
    private sealed class FailingHandler(long failAt) : IBatchHandler<TestEvent>
    {
        public readonly List<long> Seen = [];
        public bool Thrown { get; private set; }

        public void OnBatch(ReadOnlySpan<RingEntry<TestEvent>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                if (!Thrown && e.Event.Number == failAt)
                {
                    Thrown = true;
                    throw new InvalidDataException($"bad event {failAt}");
                }
                Seen.Add(e.Event.Number);
            }
        }
    }

    [Fact]
    public async Task Halt_HandlerThrows_CompletionFaultsWithTheException_AndProducersAreReleased()
    {
        var ring = new RingBuffer<TestEvent>(8);
        var handler = new FailingHandler(failAt: 3);
        var reported = new List<HandlerError<TestEvent>>();
        var pipeline = new RingPipeline<TestEvent>(ring, RingExceptionPolicy.Halt, reported.Add);
        var processor = pipeline.AddHandler(handler);
        for (var i = 0; i < 5; i++)
            ring.Publish(new TestEvent(0, i));

        pipeline.Start();
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => pipeline.Completion.WaitAsync(RingTestSupport.Timeout));

        Assert.Equal("bad event 3", ex.Message);
        Assert.Same(ex, pipeline.Fault);
        var error = Assert.Single(reported);
        Assert.Same(ex, error.Exception);
        Assert.Same(handler, error.Handler);
        Assert.Equal((0L, 4L), (error.FirstSequence, error.LastSequence));
        // The failed batch is not marked handled.
        Assert.Equal(-1, processor.ProcessedSequence);
        // Nobody will free room: a producer gets an exception instead of waiting forever.
        Assert.Throws<InvalidOperationException>(() =>
        {
            for (var i = 0; i < 8; i++)
                ring.Publish(new TestEvent(0, 100 + i));
        });
    }

    [Fact]
    public async Task ReportAndContinue_HandlerThrows_ErrorReported_LaterEntriesHandled()
    {
        var ring = new RingBuffer<TestEvent>(16);
        var handler = new FailingHandler(failAt: 2);
        var reported = new List<HandlerError<TestEvent>>();
        var errorSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = new RingPipeline<TestEvent>(ring, RingExceptionPolicy.ReportAndContinue, e =>
        {
            reported.Add(e);
            errorSeen.TrySetResult();
        });
        var processor = pipeline.AddHandler(handler);
        for (var i = 0; i < 4; i++)
            ring.Publish(new TestEvent(0, i));

        pipeline.Start();
        // The first batch is exactly 0..3 (published before the start); the rest comes after it failed.
        await errorSeen.Task.WaitAsync(RingTestSupport.Timeout);
        for (var i = 4; i < 40; i++)
            ring.Publish(new TestEvent(0, i));
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        var error = Assert.Single(reported);
        Assert.IsType<InvalidDataException>(error.Exception);
        Assert.Equal((0L, 3L), (error.FirstSequence, error.LastSequence));
        // 0 and 1 were handled before the throw; 3 was in the failed batch; from 4 on, everything.
        Assert.Equal([0L, 1L, .. Enumerable.Range(4, 36).Select(i => (long)i)], handler.Seen);
        Assert.Null(pipeline.Fault);
        Assert.Equal(39, processor.ProcessedSequence);
    }

    [Fact]
    public void ReportAndContinue_WithoutCallback_IsRefused()
    {
        var ex = Assert.Throws<ArgumentNullException>(() =>
            new RingPipeline<TestEvent>(new RingBuffer<TestEvent>(8), RingExceptionPolicy.ReportAndContinue));
        Assert.Equal("onError", ex.ParamName);
    }

    [Fact]
    public async Task ReportAndContinue_CallbackThrows_HaltsWithBothExceptions()
    {
        var ring = new RingBuffer<TestEvent>(8);
        var pipeline = new RingPipeline<TestEvent>(ring, RingExceptionPolicy.ReportAndContinue,
            _ => throw new InvalidOperationException("logger down"));
        pipeline.AddHandler(new FailingHandler(failAt: 0));
        ring.Publish(new TestEvent(0, 0));

        pipeline.Start();
        var ex = await Assert.ThrowsAsync<AggregateException>(() => pipeline.Completion.WaitAsync(RingTestSupport.Timeout));

        Assert.Collection(ex.InnerExceptions,
            e => Assert.IsType<InvalidDataException>(e),
            e => Assert.Equal("logger down", e.Message));
    }
}
