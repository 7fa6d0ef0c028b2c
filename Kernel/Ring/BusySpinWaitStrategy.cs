namespace Kernel.Ring;

/// <summary>
/// Polls in a tight loop: the lowest latency, and a whole core burnt per waiting processor even
/// when idle. Use only with a core to spare for each processor (never on a 2-core machine).
/// </summary>
public sealed class BusySpinWaitStrategy : WaitStrategy
{
    internal override long WaitFor(long sequence, SequenceBarrier barrier)
    {
        var deadline = barrier.IdleDeadline();
        for (var tries = 1; ; tries++)
        {
            var available = barrier.Poll(sequence);
            if (available >= sequence || barrier.IsAlerted || IdleTimedOut(deadline, tries))
                return available;
            Thread.SpinWait(1);
        }
    }
}
