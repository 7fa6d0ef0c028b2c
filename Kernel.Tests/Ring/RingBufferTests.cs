using Kernel.Ring;

namespace Kernel.Tests.Ring;

public sealed class RingBufferTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(12)]
    public void Constructor_SizeNotAPowerOfTwoAtLeast2_Throws(int size)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new RingBuffer<TestEvent>(size));
        Assert.Equal("bufferSize", ex.ParamName);
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task TryClaim_FullRing_FailsFastThenSucceedsOnceConsumed(ProducerType producerType)
    {
        var ring = new RingBuffer<TestEvent>(8, producerType);
        var handler = new RecordingHandler(9);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);

        for (var i = 0; i < 8; i++)
            Assert.True(ring.TryPublish(new TestEvent(0, i)), $"slot {i} of 8 should be free");

        Assert.False(ring.TryPublish(new TestEvent(0, 8)));
        Assert.False(ring.TryClaim(1, out _));
        Assert.False(ring.HasRoomFor(1));
        Assert.Equal(7, ring.Cursor);
        Assert.Equal(8, ring.Occupancy);

        pipeline.Start();
        // Waits for room on the processors' progress signal, without spinning.
        await ring.PublishAsync(new TestEvent(0, 8)).AsTask().WaitAsync(RingTestSupport.Timeout);
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal(9, handler.Count);
        for (var i = 0; i < 9; i++)
            Assert.Equal(i, handler.Entries[i].Event.Number);
    }

    [Fact]
    public async Task PublishAsync_FullRingCancelled_ThrowsAndPublishesNothing()
    {
        var ring = new RingBuffer<TestEvent>(4);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(new RecordingHandler(0));
        for (var i = 0; i < 4; i++)
            ring.Publish(new TestEvent(0, i));
        using var cts = new CancellationTokenSource();

        var pending = ring.PublishAsync(new TestEvent(0, 4), cts.Token).AsTask();
        Assert.False(pending.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(RingTestSupport.Timeout));
        Assert.Equal(3, ring.Cursor);
        pipeline.Halt();
    }

    [Fact]
    public async Task Processor_RunWrapsAroundTheEnd_HandsItOverInTwoCalls()
    {
        var ring = new RingBuffer<TestEvent>(8);
        var handler = new RecordingHandler(6);
        var firstSequences = new List<(long First, int Length)>();
        handler.OnBatchStart = (first, length) => firstSequences.Add((first, length));
        var pipeline = new RingPipeline<TestEvent>(ring);
        var processor = pipeline.AddHandler(handler);

        // Sequences 0..5 published and (white-box) marked consumed, then 6..11: the run 6..11
        // covers slots 6, 7, 0, 1, 2, 3.
        for (var i = 0; i < 6; i++)
            ring.Publish(new TestEvent(0, -1));
        processor.Sequence.SetValue(5);
        for (var i = 6; i < 12; i++)
            ring.Publish(new TestEvent(0, i));

        pipeline.Start();
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal([(6L, 2), (8L, 4)], firstSequences);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(6 + i, handler.Sequences[i]);
            Assert.Equal(6 + i, handler.Entries[i].Event.Number);
        }
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task PublishSpanAndClaimedBatches_ArriveInOrder(ProducerType producerType)
    {
        const int Total = 5000;
        var ring = new RingBuffer<TestEvent>(64, producerType);
        var handler = new RecordingHandler(Total);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        pipeline.Start();

        var items = new TestEvent[1000];
        var number = 0;
        for (var round = 0; round < 2; round++)
        {
            // A span larger than the ring is published in ring-sized chunks.
            for (var i = 0; i < items.Length; i++)
                items[i] = new TestEvent(0, number++);
            ring.Publish(items);
        }
        while (number < Total)
        {
            using var batch = ring.Claim(50);
            for (var i = 0; i < batch.Count; i++)
                batch[i].Event = new TestEvent(0, number++);
            batch.Publish();
        }

        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
        Assert.Equal(Total, handler.Count);
        for (var i = 0; i < Total; i++)
        {
            Assert.Equal(i, handler.Sequences[i]);
            Assert.Equal(i, handler.Entries[i].Event.Number);
            Assert.Equal(EntryKind.Event, handler.Entries[i].Kind);
        }
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task Claim_FillThrows_NothingHalfWrittenIsHandled(ProducerType producerType)
    {
        var ring = new RingBuffer<TestEvent>(16, producerType);
        var handler = new RecordingHandler(4, capacity: 16);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);

        ring.Publish(new TestEvent(0, 0));
        ring.Publish(new TestEvent(0, 1));
        Assert.Throws<InvalidDataException>(() => FillThreeThenThrow(ring));
        ring.Publish(new TestEvent(0, 2));
        ring.Publish(new TestEvent(0, 3));

        pipeline.Start();
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal(4, handler.Count);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(i, handler.Entries[i].Event.Number);
            Assert.Equal(EntryKind.Event, handler.Entries[i].Kind);
        }
        // One producer: the claim was rolled back and its sequences reused. Several: they were
        // published as abandoned and skipped.
        long[] expected = producerType == ProducerType.Single ? [0, 1, 2, 3] : [0, 1, 5, 6];
        Assert.Equal(expected, handler.Sequences.AsSpan(0, 4).ToArray());
    }

    private static void FillThreeThenThrow(RingBuffer<TestEvent> ring)
    {
        using var batch = ring.Claim(3);
        batch[0].Event = new TestEvent(0, 100);
        batch[1].Event = new TestEvent(0, 101);
        throw new InvalidDataException("the source failed while filling slot 2");
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task Claim_UsingStatementOnAVariable_DisposesACopy_AndThePublishStands(ProducerType producerType)
    {
        // "using (batch)" disposes a hidden copy that never saw Publish: it must not take the slots back.
        var ring = new RingBuffer<TestEvent>(16, producerType);
        var handler = new RecordingHandler(5, capacity: 16);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        var batch = ring.Claim(4);
        using (batch)
        {
            for (var i = 0; i < batch.Count; i++)
                batch[i].Event = new TestEvent(0, 10 + i);
            batch.Publish();
        }
        ring.Publish(new TestEvent(0, 14));

        pipeline.Start();
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal(5, handler.Count);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(i, handler.Sequences[i]);
            Assert.Equal(10 + i, handler.Entries[i].Event.Number);
            Assert.Equal(EntryKind.Event, handler.Entries[i].Kind);
        }
    }

    [Fact]
    public void Claim_PublishedThenDisposed_StaysPublished()
    {
        var ring = new RingBuffer<TestEvent>(8);
        using (var batch = ring.Claim(2))
        {
            batch[0].Event = new TestEvent(0, 1);
            batch[1].Event = new TestEvent(0, 2);
            batch.Publish();
        }
        Assert.Equal(1, ring.Sequencer.Cursor.Value);
        Assert.Equal(1, ring.Cursor);
    }

    [Fact]
    public void Claim_CountOutsideOneToSize_Throws()
    {
        var ring = new RingBuffer<TestEvent>(8);
        Assert.Throws<ArgumentOutOfRangeException>(() => { using var b = ring.Claim(0); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { using var b = ring.Claim(9); });
    }

    [Fact]
    public async Task ControlEntries_ArriveInSequenceOrderWithEvents()
    {
        var ring = new RingBuffer<TestEvent>(16);
        var handler = new RecordingHandler(6);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);
        pipeline.Start();

        ring.Publish(new TestEvent(0, 1), sourceId: 3, position: 640);
        ring.PublishWatermark(1_700_000_000_000, sourceId: 3);
        ring.Publish(new TestEvent(0, 2));
        ring.PublishBarrier(checkpointId: 17);
        ring.Publish(new TestEvent(0, 3));
        ring.PublishEndOfInput(sourceId: 3);

        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        var e = handler.Entries;
        Assert.Equal([EntryKind.Event, EntryKind.Watermark, EntryKind.Event, EntryKind.Barrier, EntryKind.Event, EntryKind.EndOfInput],
            e.Take(6).Select(x => x.Kind).ToArray());
        Assert.Equal((3, 640L, 1L), (e[0].SourceId, e[0].Value, e[0].Event.Number));
        Assert.Equal((3, 1_700_000_000_000L), (e[1].SourceId, e[1].Value));
        Assert.Equal(17, e[3].Value);
        Assert.Equal(3, e[5].SourceId);
    }

    [Fact]
    public void PublishControl_EventKind_Throws()
    {
        var ring = new RingBuffer<TestEvent>(8);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ring.PublishControl(EntryKind.Event, 0, 0));
        Assert.Equal("kind", ex.ParamName);
    }

    [Fact]
    public void TryPublishSpan_PartlyFull_PublishesThePrefixThatFits()
    {
        var ring = new RingBuffer<TestEvent>(8, ProducerType.Multi);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(new RecordingHandler(0));
        ring.Publish(new TestEvent(0, 0));
        ring.Publish(new TestEvent(0, 1));
        ring.Publish(new TestEvent(0, 2));

        var items = new TestEvent[10];
        Assert.Equal(5, ring.TryPublish(items));
        Assert.Equal(0, ring.TryPublish(items));
        pipeline.Halt();
    }
}
