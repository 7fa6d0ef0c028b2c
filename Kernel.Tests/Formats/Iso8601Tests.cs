using System.Globalization;
using System.Text;
using Kernel.Formats;

namespace Kernel.Tests.Formats;

public sealed class Iso8601Tests
{
    [Theory]
    [InlineData("1970-01-01T00:00:00Z", 0L)]
    [InlineData("1969-12-31T23:59:59.999Z", -1L)]
    [InlineData("2000-01-01", 946_684_800_000L)]
    [InlineData("2000-02-29T00:00:00Z", 951_782_400_000L)]
    [InlineData("2028-02-29T23:59:59.999Z", 1_835_481_599_999L)]
    [InlineData("2028-03-01T05:29:59.999+05:30", 1_835_481_599_999L)]
    [InlineData("2028-02-29T18:29:59.999-0530", 1_835_481_599_999L)]
    [InlineData("2028-02-29 23:59:59", 1_835_481_599_000L)]
    [InlineData("2028-02-29T23:59", 1_835_481_540_000L)]
    [InlineData("2028-02-29T23:59:59.9999999Z", 1_835_481_599_999L)]
    [InlineData("2028-02-29T23:59:59.5z", 1_835_481_599_500L)]
    public void UnixMilliseconds_FromIsoText(string text, long expected)
    {
        Assert.True(Utf8Values.TryParseUnixMilliseconds(Encoding.UTF8.GetBytes(text), out var ms), text);
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("1835481599999", 1_835_481_599_999L)]
    [InlineData("-1", -1L)]
    [InlineData("0", 0L)]
    public void UnixMilliseconds_FromDigits(string text, long expected)
    {
        Assert.True(Utf8Values.TryParseUnixMilliseconds(Encoding.UTF8.GetBytes(text), out var ms));
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("2027-02-29")]
    [InlineData("1900-02-29")]
    [InlineData("2028-13-01")]
    [InlineData("2028-00-10")]
    [InlineData("2028-04-31")]
    [InlineData("2028-02-29T24:00:00Z")]
    [InlineData("2028-02-29T23:60")]
    [InlineData("2028-02-29T23:59:60Z")]
    [InlineData("2028-02-29T23:59:59.Z")]
    [InlineData("2028-02-29T23:59:59Zjunk")]
    [InlineData("2028-02-29T23:59:59+15:00")]
    [InlineData("2028-2-29")]
    [InlineData("12-34")]
    [InlineData("99999999999999999999")]
    public void Invalid_IsRejected(string text)
        => Assert.False(Utf8Values.TryParseUnixMilliseconds(Encoding.UTF8.GetBytes(text), out _), text);

    [Theory]
    [InlineData(1_835_481_599_999L, "2028-02-29T23:59:59.999Z")]
    [InlineData(-1L, "1969-12-31T23:59:59.999Z")]
    [InlineData(0L, "1970-01-01T00:00:00.000Z")]
    public void Format_WritesUtcWithMilliseconds(long ms, string expected)
    {
        Span<byte> buffer = stackalloc byte[Iso8601.MaxFormattedLength];
        Assert.True(Iso8601.FormatUnixMilliseconds(ms, buffer, out var written));
        Assert.Equal(expected, Encoding.UTF8.GetString(buffer[..written]));
    }

    [Fact]
    public void RandomInstants_AgreeWithTheBclAndRoundTrip()
    {
        const int seed = 20280229;
        var random = new Random(seed);
        Span<byte> buffer = stackalloc byte[Iso8601.MaxFormattedLength];
        for (var i = 0; i < 20_000; i++)
        {
            var ms = random.NextInt64(-62_135_596_800_000, 253_402_300_799_999);
            var oracle = DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            Assert.True(Iso8601.FormatUnixMilliseconds(ms, buffer, out var written), $"seed {seed}, ms {ms}");
            Assert.Equal(oracle, Encoding.UTF8.GetString(buffer[..written]));
            Assert.True(Utf8Values.TryParseUnixMilliseconds(buffer[..written], out var back), $"seed {seed}, ms {ms}");
            Assert.Equal(ms, back);
        }
    }

    [Fact]
    public void DateTimeOffset_KeepsTheWrittenOffset()
    {
        Assert.True(Utf8Values.TryParseDateTimeOffset("2028-03-01T05:29:59.999+05:30"u8, out var value));
        Assert.Equal(TimeSpan.FromMinutes(330), value.Offset);
        Assert.Equal(1_835_481_599_999, value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public void DateTime_IsUtc()
    {
        Assert.True(Utf8Values.TryParseDateTime("2028-02-29T23:59:59.999Z"u8, out var value));
        Assert.Equal(DateTimeKind.Utc, value.Kind);
        Assert.Equal(new DateTime(2028, 2, 29, 23, 59, 59, 999, DateTimeKind.Utc), value);
    }
}
