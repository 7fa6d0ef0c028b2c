using Kernel.Ring;

namespace Kernel.Tests.Ring;

public sealed class ShutdownTests
{
    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task Shutdown_DrainsEverythingPublishedBeforeIt(ProducerType producerType)
    {
        const int Total = 20_000;
        var ring = new RingBuffer<TestEvent>(1024, producerType);
        var first = new RecordingHandler(Total);
        var second = new RecordingHandler(Total);
        var pipeline = new RingPipeline<TestEvent>(ring);
        var p1 = pipeline.AddHandler(first);
        pipeline.AddHandler(second, p1);
        pipeline.Start();

        for (var i = 0; i < Total; i++)
            ring.Publish(new TestEvent(0, i));
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal(Total, first.Count);
        Assert.Equal(Total, second.Count);
        Assert.Equal(Total - 1, second.Sequences[Total - 1]);
        Assert.All(pipeline.Processors, p => Assert.True(p.Completion.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task Shutdown_IdleProcessorsAsleep_WakesAndCompletes()
    {
        var ring = new RingBuffer<TestEvent>(64, ProducerType.Single, new BlockingWaitStrategy());
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(new RecordingHandler(0));
        pipeline.Start();
        Assert.True(pipeline.Shutdown(RingTestSupport.Timeout));
        await pipeline.Completion.WaitAsync(RingTestSupport.Timeout);
    }

    [Fact]
    public async Task HaltBeforeStart_CompletesWithoutHanging_AndStartIsRefused()
    {
        var ring = new RingBuffer<TestEvent>(8);
        var pipeline = new RingPipeline<TestEvent>(ring);
        var processor = pipeline.AddHandler(new RecordingHandler(0));

        pipeline.Halt();

        await pipeline.Completion.WaitAsync(RingTestSupport.Timeout);
        await processor.Completion.WaitAsync(RingTestSupport.Timeout);
        Assert.Throws<InvalidOperationException>(pipeline.Start);
        pipeline.Halt();
    }

    [Fact]
    public async Task ShutdownBeforeStart_Completes()
    {
        var pipeline = new RingPipeline<TestEvent>(new RingBuffer<TestEvent>(8));
        pipeline.AddHandler(new RecordingHandler(0));
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task Halt_ProducerWaitingForRoom_GetsAnExceptionInsteadOfWaitingForever(ProducerType producerType)
    {
        var ring = new RingBuffer<TestEvent>(4, producerType);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(new RecordingHandler(0));
        for (var i = 0; i < 4; i++)
            ring.Publish(new TestEvent(0, i));

        var blocked = Task.Factory.StartNew(() => ring.Publish(new TestEvent(0, 4)),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        pipeline.Halt();

        await Assert.ThrowsAsync<InvalidOperationException>(() => blocked.WaitAsync(RingTestSupport.Timeout));
    }

    [Fact]
    public async Task Halt_AsyncProducerWaitingForRoom_GetsAnException()
    {
        var ring = new RingBuffer<TestEvent>(4);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(new RecordingHandler(0));
        for (var i = 0; i < 4; i++)
            ring.Publish(new TestEvent(0, i));

        var blocked = ring.PublishAsync(new TestEvent(0, 4)).AsTask();
        Assert.False(blocked.IsCompleted);
        pipeline.Halt();

        await Assert.ThrowsAsync<InvalidOperationException>(() => blocked.WaitAsync(RingTestSupport.Timeout));
    }

    [Fact]
    public async Task HaltAfterStartBeforeTheThreadRuns_StillCompletes()
    {
        using var gate = new ManualResetEventSlim(false);
        var ring = new RingBuffer<TestEvent>(8);
        var pipeline = new RingPipeline<TestEvent>(ring)
        {
            ProcessorThreadStarting = _ => gate.Wait(RingTestSupport.Timeout),
        };
        var processor = pipeline.AddHandler(new RecordingHandler(0));
        pipeline.Start();

        pipeline.Halt();
        gate.Set();

        await pipeline.Completion.WaitAsync(RingTestSupport.Timeout);
        await processor.Completion.WaitAsync(RingTestSupport.Timeout);
    }
}
