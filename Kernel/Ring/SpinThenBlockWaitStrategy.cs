namespace Kernel.Ring;

/// <summary>
/// The default: spins (with yields) for a short while, catching entries that arrive within
/// microseconds without a sleep/wake round trip, then sleeps on the ring's signal. A processor
/// of an idle ring uses no CPU, which matters on small machines.
/// </summary>
public sealed class SpinThenBlockWaitStrategy : WaitStrategy
{
    private readonly int _spinIterations;

    /// <summary>Creates the strategy.</summary>
    /// <param name="spinIterations">
    /// Polls before sleeping; each backs off like <see cref="SpinWait"/> (pauses growing, then
    /// yields). The default, 64, spins for tens of microseconds.
    /// </param>
    public SpinThenBlockWaitStrategy(int spinIterations = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spinIterations);
        _spinIterations = spinIterations;
    }

    internal override long WaitFor(long sequence, SequenceBarrier barrier)
    {
        var spin = new SpinWait();
        for (var i = 0; i < _spinIterations; i++)
        {
            var available = barrier.Poll(sequence);
            if (available >= sequence || barrier.IsAlerted)
                return available;
            spin.SpinOnce(sleep1Threshold: -1);
        }
        return Block(sequence, barrier);
    }
}
