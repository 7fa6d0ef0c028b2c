namespace Kernel.Ring;

/// <summary>
/// How a processor passes the time while it waits for entries: trading CPU for latency.
/// Pick one per ring: <see cref="SpinThenBlockWaitStrategy"/> (the default: low latency when
/// busy, no CPU when idle), <see cref="BlockingWaitStrategy"/>, <see cref="SleepingWaitStrategy"/>,
/// <see cref="YieldingWaitStrategy"/> or <see cref="BusySpinWaitStrategy"/> (only with a core to spare per processor).
/// </summary>
/// <remarks>The strategy is called once per empty poll, never per event.</remarks>
public abstract class WaitStrategy
{
    private protected WaitStrategy() { }

    /// <summary>The default: <see cref="SpinThenBlockWaitStrategy"/> with its default spin.</summary>
    public static WaitStrategy Default { get; } = new SpinThenBlockWaitStrategy();

    /// <summary>
    /// Waits until <paramref name="sequence"/> is readable through <paramref name="barrier"/>, the
    /// barrier is alerted, or the barrier's idle timeout (<see cref="SequenceBarrier.IdleTimeoutMs"/>)
    /// passed; returns the highest readable sequence (lower than <paramref name="sequence"/> only when
    /// alerted or timed out).
    /// </summary>
    internal abstract long WaitFor(long sequence, SequenceBarrier barrier);

    /// <summary>
    /// Whether a processor reading a multi-producer ring yields its CPU after a small batch (see
    /// <see cref="SequenceBarrier.YieldsAfterSmallBatch"/>): only strategies that give up the CPU
    /// while waiting anyway, never busy-spin.
    /// </summary>
    internal virtual bool YieldsAfterSmallBatch => false;

    /// <summary>Sleeps on the ring's signal until the sequence is readable, the barrier alerted, or its idle timeout passed.</summary>
    private protected static long Block(long sequence, SequenceBarrier barrier)
    {
        var condition = new SequenceBarrier.ReadableCondition(barrier, sequence);
        barrier.Signal.Wait(ref condition, barrier.IdleTimeoutMs);
        return barrier.Poll(sequence);
    }

    /// <summary>
    /// For the polling strategies: true when a wait that started with <paramref name="deadline"/>
    /// (<see cref="SequenceBarrier.IdleDeadline"/>) has lasted the idle timeout. Looks at the clock every
    /// 64th try only.
    /// </summary>
    private protected static bool IdleTimedOut(long deadline, int tries) =>
        deadline != long.MaxValue && (tries & 63) == 0 && System.Diagnostics.Stopwatch.GetTimestamp() >= deadline;
}
