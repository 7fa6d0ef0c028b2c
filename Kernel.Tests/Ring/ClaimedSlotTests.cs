using Kernel.Ring;

namespace Kernel.Tests.Ring;

/// <summary>
/// What the writer of a claimed slot in a multi-producer ring does to the whole entry, or how long
/// it keeps a copy of the claim, must never publish the slot early or keep it from being taken back
/// (a guard for any scheme that marks publication inside the slot: session 11 tried one).
/// </summary>
public sealed class ClaimedSlotTests
{
    [Fact]
    public void WholeEntryAssignedToAClaimedSlot_IsNotReadableBeforePublish()
    {
        // Round 0, the first lap: a default stamp (0) must not read as round 0's.
        var ring = new RingBuffer<TestEvent>(16, ProducerType.Multi);
        var barrier = new SequenceBarrier(ring.Sequencer, WaitStrategy.Default, []);

        var batch = ring.Claim(2);
        batch[0] = new RingEntry<TestEvent> { Event = new TestEvent(0, 1) };
        batch[1] = default;
        Assert.Equal(-1, barrier.Poll(0));

        batch.Publish();
        batch.Dispose();
        Assert.Equal(1, barrier.Poll(0));
    }

    [Fact]
    public async Task WholeEntryAssigned_DisposedUnpublished_IsSkipped_AndTheRingGoesOn()
    {
        var ring = new RingBuffer<TestEvent>(16, ProducerType.Multi);
        var handler = new RecordingHandler(2, capacity: 16);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(handler);

        ring.Publish(new TestEvent(0, 0));
        Assert.Throws<InvalidDataException>(() => AssignWholeEntryThenThrow(ring));
        ring.Publish(new TestEvent(0, 1));

        pipeline.Start();
        await handler.Reached.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal(2, handler.Count);
        Assert.Equal([0L, 2L], handler.Sequences.AsSpan(0, 2).ToArray());
        Assert.Equal(1, handler.Entries[1].Event.Number);
        Assert.Equal(2, pipeline.Processors[0].ProcessedSequence);
    }

    private static void AssignWholeEntryThenThrow(RingBuffer<TestEvent> ring)
    {
        using var batch = ring.Claim(1);
        batch[0] = default;
        throw new InvalidDataException("the fill failed after a whole entry was assigned");
    }

    [Fact]
    public void ManyLaps_APublishedClaimDisposedLater_StaysPublished()
    {
        // A claim's copy disposed after its slot went round again, many laps later, must not be taken
        // for unpublished: that would mark a later entry abandoned.
        var ring = new RingBuffer<TestEvent>(2, ProducerType.Multi);
        var consumer = new Sequence();
        ring.Sequencer.AddGatingSequence(consumer);
        var batch = ring.Claim(1);
        var copy = batch;
        batch.Publish();
        for (var i = 0; i < 40_000 * 2; i++)
        {
            consumer.SetValue(ring.Cursor);
            ring.Publish(new TestEvent(0, i));
        }
        copy.Dispose();
        Assert.Equal(0, ring.Sequencer.AbandonedCount.Value);
    }
}
