namespace Kernel.Ring;

/// <summary>
/// Spins a little, then yields the CPU between polls: low latency, and the core is given to any
/// other ready thread, but an idle processor still shows as busy.
/// </summary>
public sealed class YieldingWaitStrategy : WaitStrategy
{
    private const int SpinTries = 100;

    internal override long WaitFor(long sequence, SequenceBarrier barrier)
    {
        var tries = 0;
        var deadline = barrier.IdleDeadline();
        while (true)
        {
            var available = barrier.Poll(sequence);
            if (available >= sequence || barrier.IsAlerted || IdleTimedOut(deadline, tries))
                return available;
            if (++tries > SpinTries)
                Thread.Yield();
            else
                Thread.SpinWait(1);
        }
    }
}
