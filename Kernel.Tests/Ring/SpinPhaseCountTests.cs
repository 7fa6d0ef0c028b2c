using Kernel.Ring;

namespace Kernel.Tests.Ring;

/// <summary>
/// The diagnostic counts a wait reports (<see cref="RingCounters"/>): pauses while the spin history
/// says pausing pays, yields after that, nothing for a phase with no budget; and the counts stay off
/// unless the process asked for them.
/// </summary>
public sealed class SpinPhaseCountTests
{
    [Fact]
    public void A_fresh_history_pauses_first_then_yields()
    {
        var history = default(SpinHistory);
        var spin = new SpinPhase(TimeSpan.FromSeconds(10), ref history);
        for (var i = 0; i < 3; i++)
            Assert.True(spin.SpinOnce());
        Assert.Equal(3, spin.Pauses);
        Assert.Equal(0, spin.Yields);
        for (var i = 0; i < 20; i++)
            Assert.True(spin.SpinOnce());
        Assert.Equal(16, spin.Pauses);
        Assert.Equal(7, spin.Yields);
    }

    [Fact]
    public void A_history_that_stopped_pausing_counts_only_yields()
    {
        var history = default(SpinHistory);
        history.Miss();
        history.Miss();
        var spin = new SpinPhase(TimeSpan.FromSeconds(10), ref history);
        for (var i = 0; i < 5; i++)
            Assert.True(spin.SpinOnce());
        Assert.Equal(0, spin.Pauses);
        Assert.Equal(5, spin.Yields);
    }

    [Fact]
    public void A_phase_without_budget_counts_nothing()
    {
        var history = default(SpinHistory);
        var spin = new SpinPhase(TimeSpan.Zero, ref history);
        Assert.False(spin.SpinOnce());
        Assert.Equal(0, spin.Pauses + spin.Yields);
    }

    [Fact]
    public void Counts_stay_zero_unless_the_environment_asks_for_them()
    {
        if (Environment.GetEnvironmentVariable("KERNEL_RING_COUNTERS") == "1")
            return; // a diagnostic run asked for them
        Assert.False(RingCounters.Enabled);
        RingCounters.Add(RingCounters.Kind.ConsumerWaits, 5);
        Span<long> counts = stackalloc long[RingCounters.Count];
        RingCounters.Read(counts);
        Assert.Equal(0, counts[(int)RingCounters.Kind.ConsumerWaits]);
    }
}
