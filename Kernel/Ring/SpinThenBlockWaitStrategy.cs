namespace Kernel.Ring;

/// <summary>
/// The default: spins (pausing, then yielding the CPU) for a short while, catching entries that
/// arrive within microseconds without a sleep/wake round trip, then sleeps on the ring's signal.
/// A processor of an idle ring uses no CPU, which matters on small machines.
/// </summary>
public sealed class SpinThenBlockWaitStrategy : WaitStrategy
{
    /// <summary>The default time spent spinning before sleeping: 100 µs.</summary>
    public static readonly TimeSpan DefaultSpinTime = TimeSpan.FromMicroseconds(100);

    private readonly TimeSpan _spinTime;

    /// <summary>
    /// How much longer a waiter spins when it woke the other side (producers, or processors) less
    /// than <see cref="AfterWakeWindow"/> ago: the threads it woke are what it waits for, and under
    /// load they take longer than the plain spin to be scheduled. Sleeping then would make them
    /// pay a wake-up of their own as soon as they ran (a sleep/wake convoy: each side in turn asleep
    /// while the other waits for its wake-up). Bounded, and only right after a wake-up, so an idle
    /// ring still sleeps within a millisecond.
    /// </summary>
    internal const int AfterWakeFactor = 10;

    /// <summary>How recent a wake-up of the other side must be to lengthen the spin (see <see cref="AfterWakeFactor"/>).</summary>
    internal static readonly TimeSpan AfterWakeWindow = TimeSpan.FromMilliseconds(1);

    internal static readonly long AfterWakeWindowTicks = (long)(AfterWakeWindow.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    /// <summary>The spin budget of a wait: <paramref name="spinTime"/>, or longer right after this side woke the other (<paramref name="partner"/>).</summary>
    internal static TimeSpan SpinBudget(TimeSpan spinTime, ProgressSignal partner) =>
        spinTime > TimeSpan.Zero && partner.WokeWithin(AfterWakeWindowTicks) ? spinTime * AfterWakeFactor : spinTime;

    /// <summary>Creates the strategy with <see cref="DefaultSpinTime"/>.</summary>
    public SpinThenBlockWaitStrategy() : this(DefaultSpinTime) { }

    /// <summary>Creates the strategy.</summary>
    /// <param name="spinTime">How long to keep polling before sleeping; zero sleeps at once (as <see cref="BlockingWaitStrategy"/>).</param>
    public SpinThenBlockWaitStrategy(TimeSpan spinTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spinTime, TimeSpan.Zero);
        _spinTime = spinTime;
    }

    internal override long WaitFor(long sequence, SequenceBarrier barrier)
    {
        var spin = new SpinPhase(SpinBudget(_spinTime, barrier.RoomSignal), ref barrier.SpinHistory);
        while (spin.SpinOnce())
        {
            var available = barrier.Poll(sequence);
            if (available >= sequence || barrier.IsAlerted)
            {
                spin.Satisfied();
                Count(in spin, blocked: false);
                return available;
            }
        }
        Count(in spin, blocked: true);
        return Block(sequence, barrier);
    }

    private static void Count(in SpinPhase spin, bool blocked)
    {
        if (!RingCounters.Enabled)
            return;
        RingCounters.Add(RingCounters.Kind.ConsumerWaits);
        RingCounters.Add(RingCounters.Kind.ConsumerPauses, spin.Pauses);
        RingCounters.Add(RingCounters.Kind.ConsumerYields, spin.Yields);
        if (blocked)
            RingCounters.Add(RingCounters.Kind.ConsumerBlocks);
    }
}
