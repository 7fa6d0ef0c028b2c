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

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task FullMultiProducerRing_AProducerWaitingForRoom_HoldsNoClaim(int count)
    {
        // A producer that claimed before waiting for room would hold a sequence the processor must
        // stop at once it has freed that room: the cursor shows whether the waiting producer claimed.
        var ring = new RingBuffer<TestEvent>(8, ProducerType.Multi);
        var handler = new RecordingHandler(8 + count);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        for (var i = 0; i < 8; i++)
            ring.Publish(new TestEvent(0, i));

        var producer = Task.Factory.StartNew(() =>
        {
            using var claim = ring.Claim(count);
            for (var i = 0; i < count; i++)
                claim[i].Event = new TestEvent(0, 8 + i);
            claim.Publish();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(SpinWait.SpinUntil(() => ring.Sequencer.RoomSignal.Waiters == 1 || producer.IsCompleted, RingTestSupport.Timeout),
            $"room waiters: {ring.Sequencer.RoomSignal.Waiters}");
        Assert.False(producer.IsCompleted, "the ring was full: the producer cannot have finished");
        Assert.Equal(7, ring.Cursor);

        pipeline.Start();
        await producer.WaitAsync(RingTestSupport.Timeout);
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
        for (var i = 0; i < 8 + count; i++)
            Assert.Equal(i, handler.Entries[i].Event.Number);
    }

    [Fact]
    public void YieldAfterSmallBatch_OnlyForTheDefaultStrategyReadingAMultiProducerRing()
    {
        var multi = new RingBuffer<TestEvent>(16, ProducerType.Multi);
        var single = new RingBuffer<TestEvent>(16, ProducerType.Single);
        var upstream = new Sequence();

        Assert.True(new SequenceBarrier(multi.Sequencer, WaitStrategy.Default, []).YieldsAfterSmallBatch);
        Assert.True(new SequenceBarrier(multi.Sequencer, new SpinThenBlockWaitStrategy(TimeSpan.FromMicroseconds(10)), []).YieldsAfterSmallBatch);
        // One producer: no claims in flight to chase.
        Assert.False(new SequenceBarrier(single.Sequencer, WaitStrategy.Default, []).YieldsAfterSmallBatch);
        // A handler behind another one waits on that handler, not on the producers.
        Assert.False(new SequenceBarrier(multi.Sequencer, WaitStrategy.Default, [upstream]).YieldsAfterSmallBatch);
        // Strategies that never give up the CPU while waiting (or never spin) keep to that.
        Assert.False(new SequenceBarrier(multi.Sequencer, new BusySpinWaitStrategy(), []).YieldsAfterSmallBatch);
        Assert.False(new SequenceBarrier(multi.Sequencer, new BlockingWaitStrategy(), []).YieldsAfterSmallBatch);
        Assert.False(new SequenceBarrier(multi.Sequencer, new SpinThenBlockWaitStrategy(TimeSpan.Zero), []).YieldsAfterSmallBatch);
    }

    [Fact]
    public void PauseAfterSmallBatch_OnlyForTheDefaultStrategyReadingASingleProducerRing()
    {
        var multi = new RingBuffer<TestEvent>(16, ProducerType.Multi);
        var single = new RingBuffer<TestEvent>(16, ProducerType.Single);
        var upstream = new Sequence();

        Assert.True(new SequenceBarrier(single.Sequencer, WaitStrategy.Default, []).PausesAfterSmallBatch);
        // Several producers: the processor yields instead.
        Assert.False(new SequenceBarrier(multi.Sequencer, WaitStrategy.Default, []).PausesAfterSmallBatch);
        // A handler behind another one waits on that handler, not on the producer.
        Assert.False(new SequenceBarrier(single.Sequencer, WaitStrategy.Default, [upstream]).PausesAfterSmallBatch);
        Assert.False(new SequenceBarrier(single.Sequencer, new BusySpinWaitStrategy(), []).PausesAfterSmallBatch);
        Assert.False(new SequenceBarrier(single.Sequencer, new BlockingWaitStrategy(), []).PausesAfterSmallBatch);
        Assert.False(new SequenceBarrier(single.Sequencer, new SpinThenBlockWaitStrategy(TimeSpan.Zero), []).PausesAfterSmallBatch);
    }

    [Fact]
    public void SpinHistory_PausingPaysUntilTwoEmptyPausePhases()
    {
        var history = default(SpinHistory);
        Assert.True(history.PausingPays);
        history.Miss();
        Assert.True(history.PausingPays);
        history.Miss();
        Assert.False(history.PausingPays);
        history.Hit();
        Assert.True(history.PausingPays);
    }

    [Fact]
    public async Task SingleProducerRing_SmallBatchesWithPauses_AllDeliveredInOrder()
    {
        // A producer publishing one entry at a time with the processor pausing after each small
        // batch (its history says pausing pays): nothing may be lost, reordered or hang.
        var ring = new RingBuffer<TestEvent>(64, ProducerType.Single);
        var handler = new RecordingHandler(20_000);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        pipeline.Start();
        var producer = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 20_000; i++)
                ring.Publish(new TestEvent(0, i));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await producer.WaitAsync(RingTestSupport.Timeout);
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
        for (var i = 0; i < 20_000; i++)
            Assert.Equal(i, handler.Entries[i].Event.Number);
    }

    [Fact]
    public async Task MultiProducerRing_SmallBatchesWithAClaimInFlight_AllDeliveredInOrder()
    {
        // Every batch here is small (the processor yields after each): one entry, then a wait at a
        // claimed, unpublished slot, then the rest. Nothing may be lost or hang on the yields.
        var ring = new RingBuffer<TestEvent>(16, ProducerType.Multi);
        var handler = new RecordingHandler(40);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        pipeline.Start();

        ring.Publish(new TestEvent(0, 0));
        var held = ring.Claim(1);                         // sequence 1, in flight
        held[0].Event = new TestEvent(0, 1);
        ring.Publish(new TestEvent(0, 2));                // sequence 2, behind the hole
        Assert.True(SpinWait.SpinUntil(() => handler.Count >= 1, RingTestSupport.Timeout), "the first entry was not handled");
        Assert.Equal(1, handler.Count);                   // stopped at the hole
        held.Publish();
        held.Dispose();
        for (var i = 3; i < 40; i++)
            ring.Publish(new TestEvent(0, i));
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
        for (var i = 0; i < 40; i++)
            Assert.Equal(i, handler.Entries[i].Event.Number);
    }
}
