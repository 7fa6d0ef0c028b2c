namespace Kernel.Ring;

/// <summary>
/// Sleeps on the ring's signal as soon as there is nothing to read: no CPU while idle, and a
/// wake-up (a few microseconds) after each quiet spell. Producers pay one load per publish
/// unless a processor is asleep.
/// </summary>
public sealed class BlockingWaitStrategy : WaitStrategy
{
    internal override long WaitFor(long sequence, SequenceBarrier barrier) => Block(sequence, barrier);
}
