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

    /// <summary>Creates the strategy with <see cref="DefaultSpinTime"/>.</summary>
    public SpinThenBlockWaitStrategy() : this(DefaultSpinTime) { }

    /// <summary>Creates the strategy.</summary>
    /// <param name="spinTime">How long to keep polling before sleeping; zero sleeps at once (as <see cref="BlockingWaitStrategy"/>).</param>
    public SpinThenBlockWaitStrategy(TimeSpan spinTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spinTime, TimeSpan.Zero);
        _spinTime = spinTime;
    }

    /// <summary>True unless the spin time is zero: the strategy yields while it waits anyway.</summary>
    internal override bool YieldsAfterSmallBatch => _spinTime > TimeSpan.Zero;

    internal override long WaitFor(long sequence, SequenceBarrier barrier)
    {
        if (RingCounters.Enabled && barrier.IsClaimedUnpublished(sequence))
            RingCounters.Add(RingCounters.Kind.ConsumerGapWaits);
        var spin = new SpinPhase(_spinTime, ref barrier.SpinHistory);
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

    private static void Count(in SpinPhase spin, bool blocked) => RingCounters.AddWait(RingCounters.Kind.ConsumerWaits, in spin, blocked);
}
