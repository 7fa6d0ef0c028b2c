using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kernel.Formats;

/// <summary>
/// Parses the UTF-8 text of one CSV field or JSON value into a member's type, invariant culture,
/// without allocating. Generated readers call these; each returns false instead of throwing.
/// </summary>
public static class Utf8Values
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    /// <summary>Parses an integer (optional sign, digits; no spaces, no separators).</summary>
    /// <typeparam name="T">An integer type.</typeparam>
    /// <param name="text">The UTF-8 text.</param>
    /// <param name="value">The value.</param>
    /// <returns>False when the text is not an integer of that type.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseInteger<T>(ReadOnlySpan<byte> text, out T value)
        where T : IBinaryInteger<T>
        => T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value!);

    /// <summary>Parses a real number (<c>12</c>, <c>-1.5</c>, <c>2e3</c>, <c>NaN</c>).</summary>
    /// <typeparam name="T">float, double or decimal.</typeparam>
    /// <param name="text">The UTF-8 text.</param>
    /// <param name="value">The value.</param>
    /// <returns>False when the text is not a number.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseReal<T>(ReadOnlySpan<byte> text, out T value)
        where T : IFloatingPoint<T>
        => T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value!);

    /// <summary>Parses <c>true</c>/<c>false</c> (any case) or <c>1</c>/<c>0</c>.</summary>
    /// <param name="text">The UTF-8 text.</param>
    /// <param name="value">The value.</param>
    /// <returns>False for anything else.</returns>
    public static bool TryParseBoolean(ReadOnlySpan<byte> text, out bool value)
    {
        value = false;
        if (text.Length == 1)
        {
            if (text[0] == (byte)'1') value = true;
            else if (text[0] != (byte)'0') return false;
            return true;
        }
        if (System.Text.Ascii.EqualsIgnoreCase(text, "true"u8))
        {
            value = true;
            return true;
        }
        return System.Text.Ascii.EqualsIgnoreCase(text, "false"u8);
    }

    /// <summary>
    /// Parses an event time in Unix milliseconds: an integer is taken as milliseconds, anything
    /// else as ISO-8601 (<c>2028-02-29T23:59:59.999Z</c>), truncated to the millisecond.
    /// </summary>
    /// <param name="text">The UTF-8 text.</param>
    /// <param name="unixMilliseconds">The time.</param>
    /// <returns>False when the text is neither.</returns>
    public static bool TryParseUnixMilliseconds(ReadOnlySpan<byte> text, out long unixMilliseconds)
    {
        if (IsPlainInteger(text)) return TryParseInteger(text, out unixMilliseconds);
        if (!Iso8601.TryParse(text, out var ticks, out _))
        {
            unixMilliseconds = 0;
            return false;
        }
        unixMilliseconds = Math.DivRem(ticks, TimeSpan.TicksPerMillisecond, out var rem);
        if (rem < 0) unixMilliseconds--;
        return true;
    }

    /// <summary>Parses an ISO-8601 date-time (or Unix milliseconds) into a UTC <see cref="DateTime"/>.</summary>
    /// <param name="text">The UTF-8 text.</param>
    /// <param name="value">The value, of kind UTC.</param>
    /// <returns>False when the text is not a date-time in range.</returns>
    public static bool TryParseDateTime(ReadOnlySpan<byte> text, out DateTime value)
    {
        value = default;
        long ticks;
        if (IsPlainInteger(text))
        {
            if (!TryParseInteger(text, out long ms) || ms > (long.MaxValue / TimeSpan.TicksPerMillisecond) || ms < (long.MinValue / TimeSpan.TicksPerMillisecond)) return false;
            ticks = ms * TimeSpan.TicksPerMillisecond;
        }
        else if (!Iso8601.TryParse(text, out ticks, out _))
        {
            return false;
        }
        var absolute = ticks + UnixEpochTicks;
        if ((ulong)absolute > (ulong)DateTime.MaxValue.Ticks) return false;
        value = new DateTime(absolute, DateTimeKind.Utc);
        return true;
    }

    /// <summary>Parses an ISO-8601 date-time into a <see cref="DateTimeOffset"/> keeping its written offset.</summary>
    /// <param name="text">The UTF-8 text.</param>
    /// <param name="value">The value.</param>
    /// <returns>False when the text is not a date-time in range.</returns>
    public static bool TryParseDateTimeOffset(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (!Iso8601.TryParse(text, out var ticks, out var offsetMinutes))
        {
            if (!TryParseDateTime(text, out var utc)) return false;
            value = new DateTimeOffset(utc);
            return true;
        }
        var local = ticks + UnixEpochTicks + offsetMinutes * TimeSpan.TicksPerMinute;
        var utcTicks = ticks + UnixEpochTicks;
        if ((ulong)local > (ulong)DateTime.MaxValue.Ticks || (ulong)utcTicks > (ulong)DateTime.MaxValue.Ticks) return false;
        value = new DateTimeOffset(local, TimeSpan.FromMinutes(offsetMinutes));
        return true;
    }

    private static bool IsPlainInteger(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty) return false;
        var start = text[0] == (byte)'-' ? 1 : 0;
        if (start == text.Length) return false;
        return !text[start..].ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }
}
