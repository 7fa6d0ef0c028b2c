using System.Runtime.CompilerServices;
using Kernel.Sources;

namespace Kernel.Bench.Sources;

/// <summary>
/// The trivial hand-written parser of the ingestion benchmark: five non-negative integers and an ISO-8601 UTC
/// timestamp (<c>2026-11-30T10:59:17.123Z</c>), comma-separated, no quoting. It stands in for the
/// generated CSV reader until that is adapted to <see cref="IRecordParser{T}"/>.
/// </summary>
public struct OrderCsvParser : IRecordParser<Order>
{
    public void ParseHeader(ReadOnlySpan<byte> header)
    {
    }

    public bool TryParse(ReadOnlySpan<byte> record, out Order value, out RecordError error)
    {
        value = default;
        error = default;
        if (!Field(ref record, out value.OrderId) || !Field(ref record, out value.ProductId) ||
            !Field(ref record, out value.CustomerId) || !Field(ref record, out value.PriceCents) ||
            !Field(ref record, out value.Quantity) || !IsoUtcMillis(record, out value.EventTimeMs))
        {
            error = RecordError.Create(null, record, "not an order row");
            return false;
        }
        return true;
    }

    /// <summary>A non-negative decimal of at most 18 digits followed by a comma (the order columns are all that).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Field(ref ReadOnlySpan<byte> rest, out long value)
    {
        value = 0;
        var i = 0;
        for (; i < rest.Length; i++)
        {
            var digit = (uint)(rest[i] - '0');
            if (digit > 9) break;
            value = value * 10 + digit;
        }
        if (i == 0 || i > 18 || (uint)i >= (uint)rest.Length || rest[i] != (byte)',') return false;
        rest = rest.Slice(i + 1);
        return true;
    }

    /// <summary>Parses exactly <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> into Unix milliseconds.</summary>
    private static bool IsoUtcMillis(ReadOnlySpan<byte> s, out long ms)
    {
        ms = 0;
        if (s.Length != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z')
            return false;
        int year = D4(s, 0), month = D2(s, 5), day = D2(s, 8), hour = D2(s, 11), minute = D2(s, 14), second = D2(s, 17);
        int milli = D2(s, 20) * 10 + D1(s[22]);
        if ((year | month | day | hour | minute | second | milli) < 0) return false;
        // Days from 1970-01-01 (the proleptic Gregorian civil calendar, era-based).
        var y = month <= 2 ? year - 1 : year;
        var era = y / 400;
        var yoe = y - era * 400;
        var doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        var doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        long days = era * 146097L + doe - 719468;
        ms = ((days * 24 + hour) * 60 + minute) * 60_000L + second * 1000L + milli;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int D1(byte b) => (uint)(b - '0') <= 9 ? b - '0' : -1000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int D2(ReadOnlySpan<byte> s, int i) => D1(s[i]) * 10 + D1(s[i + 1]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int D4(ReadOnlySpan<byte> s, int i) => D2(s, i) * 100 + D2(s, i + 2);
}
