using System.Globalization;
using System.Text;

namespace Revenue.Generation;

/// <summary>Formats Unix milliseconds as ISO-8601 UTC with milliseconds: <c>2028-02-29T23:59:59.999Z</c>.</summary>
internal static class IsoTimestamp
{
    /// <summary>Writes the timestamp as ASCII into <paramref name="dest"/> and returns the byte count (24).</summary>
    public static int Format(long unixMs, Span<byte> dest)
    {
        var t = DateTime.UnixEpoch.AddMilliseconds(unixMs);
        Span<char> chars = stackalloc char[24];
        t.TryFormat(chars, out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return Encoding.ASCII.GetBytes(chars[..written], dest);
    }

    /// <summary>The UTC date of a timestamp as <c>YYYY-MM-DD</c>.</summary>
    public static string Day(long unixMs) =>
        DateTime.UnixEpoch.AddMilliseconds(unixMs).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
