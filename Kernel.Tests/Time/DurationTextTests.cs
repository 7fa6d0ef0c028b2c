using Kernel.Time;

namespace Kernel.Tests.Time;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("500ms", 500L)]
    [InlineData("10s", 10_000L)]
    [InlineData("5m", 300_000L)]
    [InlineData("1h", 3_600_000L)]
    [InlineData("1d", 86_400_000L)]
    [InlineData("1h30m", 5_400_000L)]
    [InlineData("0h", 0L)]
    public void TryParse_Valid(string text, long expected)
    {
        Assert.True(DurationText.TryParse(text, out var ms, out var error), error);
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("10", "no unit")]
    [InlineData("ms", "no number")]
    [InlineData("5w", "unknown unit 'w'")]
    [InlineData("-5s", "no number")]
    [InlineData("99999999999999999999d", "too large")]
    public void TryParse_Invalid_SaysWhy(string text, string reason)
    {
        Assert.False(DurationText.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5_400_000L, "1h30m")]
    [InlineData(0L, "0ms")]
    [InlineData(1_500L, "1s500ms")]
    public void Format_RoundTrips(long ms, string text)
    {
        Assert.Equal(text, DurationText.Format(ms));
        Assert.True(DurationText.TryParse(text, out var back, out _));
        Assert.Equal(ms, back);
    }
}
