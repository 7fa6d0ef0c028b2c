using Kernel.Ring;

namespace Kernel.Tests.Ring;

/// <summary>
/// The multi-producer availability flags carry a round and the publisher's CPU (modulo 256): a CPU
/// number must never make a slot read as published for another round, rounds must compare right
/// where they wrap around the flag's bits, and the back-off test must fire only for the sequence
/// just before, published this round, from a lower CPU.
/// </summary>
public sealed class MultiProducerFlagTests
{
    private const int Size = 4;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    public void Flag_IsPublishedForItsRoundOnly_WhateverTheCpu(int cpu)
    {
        var sequencer = new MultiProducerSequencer(Size);
        for (long s = 0; s < 3 * Size; s++)
        {
            Assert.False(sequencer.IsAvailable(s));
            sequencer.MarkPublished(s, cpu);
            Assert.True(sequencer.IsAvailable(s));
            Assert.False(sequencer.IsAvailable(s + Size));   // next round, same slot
            Assert.True(sequencer.IsPublishedOrLater(s));
            Assert.False(sequencer.IsPublishedOrLater(s + Size));
            if (s >= Size)
            {
                Assert.False(sequencer.IsAvailable(s - Size));   // last round's, overwritten
                Assert.True(sequencer.IsPublishedOrLater(s - Size));
            }
            Assert.Equal(cpu, sequencer.PublisherOf(s));
        }
    }

    // The round takes the flag's upper 24 bits, so its sign flips at round 2^23 and it wraps to 0
    // at 2^24; a plain comparison of flags (instead of their difference) fails at the first.
    [Theory]
    [InlineData((1L << 23) - 1)]
    [InlineData((1L << 24) - 1)]
    [InlineData((1L << 25) - 1)]
    public void RoundsCompareAcrossTheFlagsWrap(long round)
    {
        var sequencer = new MultiProducerSequencer(Size);
        var slot = 2L;
        var before = round * Size + slot;
        var after = before + Size;
        sequencer.MarkPublished(before, 7);
        Assert.True(sequencer.IsAvailable(before));
        Assert.False(sequencer.IsAvailable(after));
        Assert.False(sequencer.IsPublishedOrLater(after));

        sequencer.MarkPublished(after, 3);
        Assert.True(sequencer.IsAvailable(after));
        Assert.False(sequencer.IsAvailable(before));
        Assert.True(sequencer.IsPublishedOrLater(before));
        Assert.True(sequencer.IsPublishedOrLater(after));
        Assert.False(sequencer.IsPublishedOrLater(after + Size));
    }

    [Fact]
    public void FollowsLowerCpu_OnlyForThePreviousSequence_PublishedThisRound_FromALowerCpu()
    {
        var sequencer = new MultiProducerSequencer(Size);
        // Sequence 0 follows the initial flag of the last slot (round -1): never a back-off.
        Assert.False(sequencer.FollowsLowerCpu(0, 255));

        sequencer.MarkPublished(0, 2);
        Assert.True(sequencer.FollowsLowerCpu(1, 3));
        Assert.True(sequencer.FollowsLowerCpu(1, 255));
        Assert.False(sequencer.FollowsLowerCpu(1, 2));   // same CPU
        Assert.False(sequencer.FollowsLowerCpu(1, 1));   // higher CPU before: that one backs off
        Assert.False(sequencer.FollowsLowerCpu(1, 0));

        // Sequence 1 not yet published: 2 follows a claim in flight, not a lower CPU's publish.
        Assert.False(sequencer.FollowsLowerCpu(2, 255));

        // Across the end of the ring: sequence 4 (slot 0, round 1) follows sequence 3 (slot 3, round 0).
        sequencer.MarkPublished(3, 0);
        Assert.True(sequencer.FollowsLowerCpu(4, 1));
        // Slot 3 published last round only: sequence 8 must not read it as sequence 7's.
        Assert.False(sequencer.FollowsLowerCpu(8, 1));

        // Ranges and uncontended claims mark CPU 255: nobody backs off behind them.
        sequencer.Publish(4, 5);
        Assert.False(sequencer.FollowsLowerCpu(6, 254));
        Assert.Equal(255, sequencer.PublisherOf(5));
        sequencer.Publish(6, contended: false);
        Assert.Equal(255, sequencer.PublisherOf(6));
        Assert.True(sequencer.IsAvailable(6));
    }

    // What the producers of a real ring write: the round a processor reads; and with one thread
    // publishing, no claim meets another's, so no publish asks for its CPU (255: nobody backs off).
    [Fact]
    public void RingPublishes_MarkTheRound_AndUncontendedClaimsMarkNoCpu()
    {
        var ring = new RingBuffer<TestEvent>(2 * Size, ProducerType.Multi);
        var sequencer = (MultiProducerSequencer)ring.Sequencer;
        ring.Publish(new TestEvent(0, 0));
        Assert.True(ring.TryPublish(new TestEvent(0, 1)));
        ring.Publish([new TestEvent(0, 2), new TestEvent(0, 3)]);
        for (long s = 0; s <= 3; s++)
        {
            Assert.True(sequencer.IsAvailable(s));
            Assert.Equal(255, sequencer.PublisherOf(s));
        }
        // A lone in-place claim publishes through the general path, which assumes contention.
        using (var claim = ring.Claim(1))
        {
            claim[0].Event = new TestEvent(0, 4);
            claim.Publish();
        }
        Assert.True(sequencer.IsAvailable(4));
        Assert.False(sequencer.IsAvailable(5));
    }
}
