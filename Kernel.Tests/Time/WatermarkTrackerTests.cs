using Kernel.Time;

namespace Kernel.Tests.Time;

public sealed class WatermarkTrackerTests
{
    [Fact]
    public void BoundedOutOfOrderness_IsMaxMinusBoundMinusOne_AndNeverGoesBack()
    {
        var w = new BoundedOutOfOrderness(600_000);
        Assert.Equal(long.MinValue, w.Current);
        Assert.True(w.Observe(1_000_000));
        Assert.Equal(399_999, w.Current);
        Assert.False(w.Observe(500_000));          // older event: no move
        Assert.Equal(399_999, w.Current);
        Assert.False(w.Observe(1_000_000));        // equal: no move
        Assert.True(w.Observe(1_000_001));
        Assert.Equal(400_000, w.Current);
        Assert.Equal(long.MinValue, BoundedOutOfOrderness.WatermarkOf(long.MinValue, 10));
    }

    [Fact]
    public void Combined_IsMinimumOverSources_AndRegressionsAreIgnored()
    {
        var t = new WatermarkTracker(3, idleTimeoutMs: 0, nowMs: 0);
        Assert.False(t.Advance(0, 100));
        Assert.False(t.Advance(1, 50));
        Assert.Equal(long.MinValue, t.Current);
        Assert.True(t.Advance(2, 70));
        Assert.Equal(50, t.Current);
        Assert.False(t.Advance(1, 40));            // regression of source 1: ignored
        Assert.Equal(50, t.WatermarkOf(1));
        Assert.True(t.Advance(1, 200));
        Assert.Equal(70, t.Current);
        Assert.False(t.Advance(0, 150));           // not the minimum: no change
        Assert.Equal(70, t.Current);
        Assert.True(t.EndOfInput(2));
        Assert.Equal(150, t.Current);
        Assert.True(t.EndOfInput(0));
        Assert.True(t.EndOfInput(1));
        Assert.Equal(long.MaxValue, t.Current);
    }

    [Fact]
    public void IdleSource_StopsHoldingBack_AfterTimeout_AndRejoinsWithoutRegression()
    {
        var t = new WatermarkTracker(2, idleTimeoutMs: 30_000, nowMs: 1_000);
        t.Advance(0, 500);
        Assert.Equal(long.MinValue, t.Current);    // source 1 has said nothing yet
        Assert.False(t.CheckIdle(30_999));         // 29.999 s of silence: not idle yet
        Assert.False(t.IsIdle(1));
        t.MarkActive(0, 31_000);
        Assert.True(t.CheckIdle(31_000));          // exactly the timeout: source 1 idle
        Assert.True(t.IsIdle(1));
        Assert.False(t.IsIdle(0));
        Assert.Equal(500, t.Current);
        Assert.True(t.Advance(0, 900));
        Assert.Equal(900, t.Current);
        t.MarkActive(1, 32_000);                   // back, behind: the combined watermark stays
        Assert.False(t.IsIdle(1));
        Assert.False(t.Advance(1, 100));
        Assert.Equal(900, t.Current);
        Assert.False(t.Advance(1, 1_000));         // source 0 (900) is the minimum
        Assert.True(t.Advance(0, 950));
        Assert.Equal(950, t.Current);
    }

    [Fact]
    public void AllSourcesIdle_WatermarkStays()
    {
        var t = new WatermarkTracker(2, idleTimeoutMs: 10, nowMs: 0);
        t.Advance(0, 5);
        t.Advance(1, 7);
        Assert.Equal(5, t.Current);
        t.CheckIdle(100);
        Assert.True(t.IsIdle(0) && t.IsIdle(1));
        Assert.Equal(5, t.Current);
    }
}
