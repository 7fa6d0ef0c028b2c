using System.Runtime.CompilerServices;

namespace Kernel.Formats;

/// <summary>
/// Parses and formats ISO-8601 date-times in UTF-8 without allocating:
/// <c>2028-02-29T23:59:59.999Z</c>, <c>2028-02-29 23:59:59</c>, <c>2028-02-29T23:59:59.9999999+05:30</c>,
/// <c>2028-02-29</c>. A text without an offset is read as UTC. Calendar rules are checked
/// (months, month lengths, leap years); fractions keep up to 7 digits (100 ns ticks).
/// </summary>
public static class Iso8601
{
    private const long TicksPerSecond = 10_000_000;
    private const long TicksPerDay = 86_400 * TicksPerSecond;

    /// <summary>The longest text <see cref="FormatUnixMilliseconds"/> writes (a 4-digit year).</summary>
    public const int MaxFormattedLength = 24;

    /// <summary>
    /// Parses <paramref name="text"/> into ticks (100 ns) since the Unix epoch in UTC and the
    /// declared offset from UTC in minutes (0 when none).
    /// </summary>
    /// <param name="text">The UTF-8 text.</param>
    /// <param name="unixTicks">UTC ticks since 1970-01-01T00:00:00Z.</param>
    /// <param name="offsetMinutes">The offset written in the text.</param>
    /// <returns>False when the text is not a valid date-time.</returns>
    public static bool TryParse(ReadOnlySpan<byte> text, out long unixTicks, out int offsetMinutes)
    {
        unixTicks = 0;
        offsetMinutes = 0;
        if (text.Length < 10 || text[4] != (byte)'-' || text[7] != (byte)'-') return false;
        if (!TryDigits(text, 0, 4, out var year) || !TryDigits(text, 5, 2, out var month) || !TryDigits(text, 8, 2, out var day)) return false;
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return false;
        long timeTicks = 0;
        var i = 10;
        if (i < text.Length && (text[i] == (byte)'T' || text[i] == (byte)'t' || text[i] == (byte)' '))
        {
            if (text.Length < i + 6 || text[i + 3] != (byte)':') return false;
            if (!TryDigits(text, i + 1, 2, out var hour) || !TryDigits(text, i + 4, 2, out var minute)) return false;
            if (hour > 23 || minute > 59) return false;
            var second = 0;
            i += 6;
            if (i < text.Length && text[i] == (byte)':')
            {
                if (!TryDigits(text, i + 1, 2, out second) || second > 59) return false;
                i += 3;
            }
            long fraction = 0;
            if (i < text.Length && (text[i] == (byte)'.' || text[i] == (byte)','))
            {
                i++;
                var digits = 0;
                while (i < text.Length && IsDigit(text[i]))
                {
                    if (digits < 7) fraction = fraction * 10 + (text[i] - '0');
                    digits++;
                    i++;
                }
                if (digits == 0) return false;
                for (var d = digits; d < 7; d++) fraction *= 10;
            }
            timeTicks = ((hour * 60L + minute) * 60 + second) * TicksPerSecond + fraction;
        }
        if (i < text.Length)
        {
            var c = text[i];
            if ((c == (byte)'Z' || c == (byte)'z') && i + 1 == text.Length)
            {
                i++;
            }
            else if (c == (byte)'+' || c == (byte)'-')
            {
                int offH, offM;
                if (text.Length == i + 6 && text[i + 3] == (byte)':')
                {
                    if (!TryDigits(text, i + 1, 2, out offH) || !TryDigits(text, i + 4, 2, out offM)) return false;
                }
                else if (text.Length == i + 5)
                {
                    if (!TryDigits(text, i + 1, 2, out offH) || !TryDigits(text, i + 3, 2, out offM)) return false;
                }
                else
                {
                    return false;
                }
                if (offH > 14 || offM > 59) return false;
                offsetMinutes = (offH * 60 + offM) * (c == (byte)'-' ? -1 : 1);
                i = text.Length;
            }
            else
            {
                return false;
            }
        }
        unixTicks = DaysFromCivil(year, month, day) * TicksPerDay + timeTicks - offsetMinutes * 60 * TicksPerSecond;
        return true;
    }

    /// <summary>
    /// Writes Unix milliseconds as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (UTC). Years before 1 or after
    /// 9999 are not representable; false then, or when <paramref name="destination"/> is too short.
    /// </summary>
    /// <param name="unixMilliseconds">Milliseconds since the Unix epoch.</param>
    /// <param name="destination">At least <see cref="MaxFormattedLength"/> bytes.</param>
    /// <param name="written">Bytes written.</param>
    /// <returns>True when written.</returns>
    public static bool FormatUnixMilliseconds(long unixMilliseconds, Span<byte> destination, out int written)
    {
        written = 0;
        const long minMs = -62_135_596_800_000; // 0001-01-01T00:00:00Z
        const long maxMs = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
        if (unixMilliseconds < minMs || unixMilliseconds > maxMs || destination.Length < MaxFormattedLength) return false;
        var days = Math.DivRem(unixMilliseconds, 86_400_000, out var msOfDay);
        if (msOfDay < 0)
        {
            msOfDay += 86_400_000;
            days--;
        }
        CivilFromDays(days, out var year, out var month, out var day);
        Put(destination, 0, year, 4);
        destination[4] = (byte)'-';
        Put(destination, 5, month, 2);
        destination[7] = (byte)'-';
        Put(destination, 8, day, 2);
        destination[10] = (byte)'T';
        Put(destination, 11, (int)(msOfDay / 3_600_000), 2);
        destination[13] = (byte)':';
        Put(destination, 14, (int)(msOfDay / 60_000 % 60), 2);
        destination[16] = (byte)':';
        Put(destination, 17, (int)(msOfDay / 1000 % 60), 2);
        destination[19] = (byte)'.';
        Put(destination, 20, (int)(msOfDay % 1000), 3);
        destination[23] = (byte)'Z';
        written = MaxFormattedLength;
        return true;
    }

    /// <summary>Days in a month of the proleptic Gregorian calendar.</summary>
    /// <param name="year">The year.</param>
    /// <param name="month">The month, 1 to 12.</param>
    /// <returns>28 to 31.</returns>
    public static int DaysInMonth(int year, int month) => month switch
    {
        2 => (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    // Days since 1970-01-01 of a civil date (era-based algorithm; exact for the proleptic calendar).
    private static long DaysFromCivil(int year, int month, int day)
    {
        long y = month <= 2 ? year - 1 : year;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - era * 400;
        var mp = (month + 9) % 12;
        var doy = (153 * mp + 2) / 5 + day - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    private static void CivilFromDays(long days, out int year, out int month, out int day)
    {
        var z = days + 719_468;
        var era = (z >= 0 ? z : z - 146_096) / 146_097;
        var doe = z - era * 146_097;
        var yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        var doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        var mp = (5 * doy + 2) / 153;
        day = (int)(doy - (153 * mp + 2) / 5 + 1);
        month = (int)(mp < 10 ? mp + 3 : mp - 9);
        year = (int)(yoe + era * 400 + (month <= 2 ? 1 : 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte c) => (uint)(c - '0') <= 9;

    private static bool TryDigits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        if ((uint)(start + count) > (uint)text.Length) return false;
        for (var i = start; i < start + count; i++)
        {
            if (!IsDigit(text[i])) return false;
            value = value * 10 + (text[i] - '0');
        }
        return true;
    }

    private static void Put(Span<byte> destination, int start, int value, int width)
    {
        for (var i = start + width - 1; i >= start; i--)
        {
            destination[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }
}
