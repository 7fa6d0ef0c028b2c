using Kernel.Ring;

namespace Kernel.Tests.Ring;

public sealed class WaitStrategyTests
{
    public static TheoryData<string> Strategies => ["busy-spin", "yielding", "sleeping", "blocking", "spin-then-block"];

    private static WaitStrategy Create(string name) => name switch
    {
        "busy-spin" => new BusySpinWaitStrategy(),
        "yielding" => new YieldingWaitStrategy(),
        "sleeping" => new SleepingWaitStrategy(),
        "blocking" => new BlockingWaitStrategy(),
        "spin-then-block" => new SpinThenBlockWaitStrategy(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task EveryStrategy_DeliversEverything_ThroughAChainAndShutsDown(string strategy)
    {
        const int Total = 5_000;
        var ring = new RingBuffer<TestEvent>(128, ProducerType.Multi, Create(strategy));
        var first = new RecordingHandler(Total);
        var second = new RecordingHandler(Total);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(second, pipeline.AddHandler(first));
        pipeline.Start();

        for (var i = 0; i < Total; i++)
        {
            ring.Publish(new TestEvent(0, i));
            if (i % 1000 == 0)
                await Task.Yield();
        }
        await second.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal(Total, first.Count);
        Assert.Equal(Total, second.Count);
        Assert.Equal(Total - 1, second.Entries[Total - 1].Event.Number);
    }

    [Theory]
    [InlineData("blocking")]
    [InlineData("spin-then-block")]
    public async Task IdleRing_ProcessorsSleepOnTheSignal_AndWakeForTheNextEntry(string strategy)
    {
        var ring = new RingBuffer<TestEvent>(16, ProducerType.Single, Create(strategy));
        var first = new RecordingHandler(1);
        var second = new RecordingHandler(1);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(second, pipeline.AddHandler(first));
        pipeline.Start();

        // Both processors end up asleep (not spinning): the wait is bounded, never a fixed sleep.
        Assert.True(SpinWait.SpinUntil(() => ring.Sequencer.Signal.Waiters == 2, RingTestSupport.Timeout),
            $"waiters: {ring.Sequencer.Signal.Waiters}");

        ring.Publish(new TestEvent(0, 42));
        await second.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
        Assert.Equal(42, second.Entries[0].Event.Number);
    }

    [Fact]
    public async Task Blocking_TinyRingPingPong_NoLostWakeUp()
    {
        // Ring of 2 with a sleeping consumer: producer and consumer both sleep and wake each
        // other thousands of times. A lost wake-up would leave both asleep (and time out here).
        const int Total = 20_000;
        var ring = new RingBuffer<TestEvent>(2, ProducerType.Single, new BlockingWaitStrategy());
        var handler = new RecordingHandler(Total);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        pipeline.Start();

        await Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < Total; i++)
                ring.Publish(new TestEvent(0, i));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(RingTestSupport.Timeout);
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        for (var i = 0; i < Total; i++)
            Assert.Equal(i, handler.Entries[i].Event.Number);
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task FullRing_ProducerSleepsOnTheRoomSignal_NotOnThePublishSignal_AndAProcessedBatchWakesIt(ProducerType producerType)
    {
        // A producer waiting for room must sleep where only processed batches wake it: on the
        // publish signal every other producer's publish would wake it for nothing.
        var ring = new RingBuffer<TestEvent>(8, producerType);
        var handler = new RecordingHandler(12);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        for (var i = 0; i < 8; i++)
            ring.Publish(new TestEvent(0, i));

        var producer = Task.Factory.StartNew(() =>
        {
            for (var i = 8; i < 12; i++)
                ring.Publish(new TestEvent(0, i));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(SpinWait.SpinUntil(() => ring.Sequencer.RoomSignal.Waiters == 1 || producer.IsCompleted, RingTestSupport.Timeout),
            $"room waiters: {ring.Sequencer.RoomSignal.Waiters}");
        Assert.False(producer.IsCompleted, "the ring was full: the producer cannot have finished");
        Assert.Equal(0, ring.Sequencer.Signal.Waiters);

        pipeline.Start();
        await producer.WaitAsync(RingTestSupport.Timeout);
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
        for (var i = 0; i < 12; i++)
            Assert.Equal(i, handler.Entries[i].Event.Number);
    }
}
