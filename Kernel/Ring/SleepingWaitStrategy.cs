namespace Kernel.Ring;

/// <summary>
/// Spins, then yields, then sleeps a millisecond between polls: almost no CPU when idle, at the
/// price of up to a millisecond of latency after a quiet spell. Producers pay one load per publish, as with every strategy.
/// </summary>
public sealed class SleepingWaitStrategy : WaitStrategy
{
    private const int SpinTries = 100;
    private const int YieldTries = 200;

    internal override long WaitFor(long sequence, SequenceBarrier barrier)
    {
        var tries = 0;
        var deadline = barrier.IdleDeadline();
        while (true)
        {
            var available = barrier.Poll(sequence);
            if (available >= sequence || barrier.IsAlerted || IdleTimedOut(deadline, tries > YieldTries ? 0 : tries))
                return available;
            tries++;
            if (tries <= SpinTries)
                Thread.SpinWait(1);
            else if (tries <= YieldTries)
                Thread.Yield();
            else
                Thread.Sleep(1);
        }
    }
}
