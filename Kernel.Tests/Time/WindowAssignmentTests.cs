using Kernel.Time;

namespace Kernel.Tests.Time;

public sealed class WindowAssignmentTests
{
    [Theory]
    [InlineData(0, 10, 0, 0)]
    [InlineData(9, 10, 0, 0)]
    [InlineData(10, 10, 0, 10)]
    [InlineData(-1, 10, 0, -10)]
    [InlineData(-10, 10, 0, -10)]
    [InlineData(2, 10, 3, -7)]
    [InlineData(3, 10, 3, 3)]
    [InlineData(12, 10, 3, 3)]
    [InlineData(13, 10, 3, 13)]
    [InlineData(86_399_999, 86_400_000, 0, 0)]
    [InlineData(86_400_000, 86_400_000, 0, 86_400_000)]
    [InlineData(3_600_000, 86_400_000, -3_600_000, -3_600_000)]
    public void Tumbling_StartOf(long t, long size, long offset, long expected) =>
        Assert.Equal(expected, TumblingWindows.StartOf(t, size, offset));

    [Theory]
    [InlineData(10, 5, 5)]
    [InlineData(60, 15, 15)]
    [InlineData(10, 4, 2)]
    [InlineData(3_600_000, 60_000, 60_000)]
    [InlineData(10, 10, 10)]
    public void Sliding_PaneSize_IsGcd(long size, long slide, long expected) =>
        Assert.Equal(expected, SlidingWindows.PaneSize(size, slide));

    [Theory]
    // size 10, slide 5: t = 7 is in [0,10) and [5,15)
    [InlineData(7, 10, 5, 0, 0, 5)]
    [InlineData(5, 10, 5, 0, 0, 5)]
    [InlineData(4, 10, 5, 0, -5, 0)]
    // size 10, slide 4: t = 9 is in [0,10), [4,14), [8,18)
    [InlineData(9, 10, 4, 0, 0, 8)]
    [InlineData(10, 10, 4, 0, 4, 8)]
    [InlineData(-1, 10, 4, 0, -8, -4)]
    public void Sliding_FirstAndLastWindowStart(long t, long size, long slide, long offset, long first, long last)
    {
        Assert.Equal(first, SlidingWindows.FirstWindowStart(t, size, slide, offset));
        Assert.Equal(last, SlidingWindows.LastWindowStart(t, slide, offset));
    }
}
