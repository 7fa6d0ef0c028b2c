// This file is compiled into both Kernel (runtime options, the CLI) and Kernel.Generators
// (attribute arguments are parsed at build time), so the two can never disagree. It must stay
// netstandard2.0-compatible: no spans, no newer BCL APIs.
#if KERNEL_GENERATOR
namespace Kernel.Generators;
#else
namespace Kernel.Time;
#endif

/// <summary>
/// Parses and formats durations written as an integer and a unit: <c>500ms</c>, <c>10s</c>,
/// <c>5m</c>, <c>1h</c>, <c>1d</c>. Several parts may be joined (<c>1h30m</c>). No sign, no
/// spaces, no fractions: a duration names an exact number of milliseconds.
/// </summary>
#if KERNEL_GENERATOR
internal static class DurationText
#else
public static class DurationText
#endif
{
    /// <summary>
    /// Parses <paramref name="text"/> into milliseconds. Returns false (and an explanation in
    /// <paramref name="error"/>) for empty text, a missing number or unit, an unknown unit, or a
    /// total that overflows a 64-bit count of milliseconds.
    /// </summary>
    public static bool TryParse(string? text, out long milliseconds, out string error)
    {
        milliseconds = 0;
        error = string.Empty;
        if (text is null || text.Length == 0)
        {
            error = "a duration is empty; write a number and a unit such as 500ms, 10s, 5m, 1h or 1d";
            return false;
        }
        var i = 0;
        long total = 0;
        while (i < text.Length)
        {
            var start = i;
            long value = 0;
            while (i < text.Length && text[i] >= '0' && text[i] <= '9')
            {
                if (value > (long.MaxValue - 9) / 10)
                {
                    error = $"'{text}' is too large";
                    return false;
                }
                value = value * 10 + (text[i] - '0');
                i++;
            }
            if (i == start)
            {
                error = $"'{text}' has no number at position {start}; write a number and a unit such as 500ms, 10s, 5m, 1h or 1d";
                return false;
            }
            var unitStart = i;
            while (i < text.Length && (text[i] < '0' || text[i] > '9')) i++;
            var unit = text.Substring(unitStart, i - unitStart);
            long scale;
            switch (unit)
            {
                case "ms": scale = 1; break;
                case "s": scale = 1000; break;
                case "m": scale = 60_000; break;
                case "h": scale = 3_600_000; break;
                case "d": scale = 86_400_000; break;
                case "":
                    error = $"'{text}' has no unit after {value}; use ms, s, m, h or d";
                    return false;
                default:
                    error = $"'{text}' has the unknown unit '{unit}'; use ms, s, m, h or d";
                    return false;
            }
            if (value > (long.MaxValue - total) / scale)
            {
                error = $"'{text}' is too large";
                return false;
            }
            total += value * scale;
        }
        milliseconds = total;
        return true;
    }

    /// <summary>Formats milliseconds in the largest units that divide them exactly (<c>90m</c> → <c>1h30m</c>).</summary>
    public static string Format(long milliseconds)
    {
        if (milliseconds == 0) return "0ms";
        var sb = new System.Text.StringBuilder();
        var rest = milliseconds;
        Append(ref rest, 86_400_000, "d", sb);
        Append(ref rest, 3_600_000, "h", sb);
        Append(ref rest, 60_000, "m", sb);
        Append(ref rest, 1000, "s", sb);
        Append(ref rest, 1, "ms", sb);
        return sb.ToString();

        static void Append(ref long rest, long scale, string unit, System.Text.StringBuilder sb)
        {
            if (rest < scale) return;
            sb.Append(rest / scale).Append(unit);
            rest %= scale;
        }
    }
}
