using Kernel.Ring;

namespace Kernel.Tests.Ring;

public sealed class SpinHistoryTests
{
    /// <summary>Runs waits whose pause phase always ends empty; returns the indices of the waits that paused.</summary>
    private static List<int> PausingWaits(ref SpinHistory history, int waits)
    {
        var paused = new List<int>();
        for (var w = 0; w < waits; w++)
        {
            if (!history.BeginWait())
                continue;
            paused.Add(w);
            history.Miss();
        }
        return paused;
    }

    [Fact]
    public void PausesThatKeepMissing_ProbeHalfAsOftenEachTime_DownToTheLimit()
    {
        var history = default(SpinHistory);

        var paused = PausingWaits(ref history, 4100);

        // Hand-derived: two pausing waits turn pausing off; then probes come 16, 32, 64, … waits
        // apart, the gap doubling after every probe that misses, until it stays at 1024.
        int[] expected = [0, 1, 17, 49, 113, 241, 497, 1009, 2033, 3057, 4081];
        Assert.Equal(expected, paused);
        Assert.Equal(SpinHistory.MaxProbeInterval, history.ProbeInterval);
    }

    [Fact]
    public void APauseThatPays_TurnsPausingBackOnAndResetsTheProbeInterval()
    {
        var history = default(SpinHistory);
        PausingWaits(ref history, 300);
        Assert.True(history.ProbeInterval > SpinHistory.FirstProbeInterval);

        history.Hit();

        Assert.Equal(SpinHistory.FirstProbeInterval, history.ProbeInterval);
        Assert.True(history.BeginWait());
        history.Miss();
        Assert.True(history.BeginWait());
        history.Miss();
        // Two misses again: off, with the first probe 16 waits later.
        var next = PausingWaits(ref history, 16);
        Assert.Equal([15], next);
    }
}
