using System.Buffers.Text;

namespace Revenue.Generation;

/// <summary>Formats one line of orders.csv (ISO-8601 event time, <c>\n</c>-terminated) into a byte span of at least 160 bytes.</summary>
internal static class OrderLine
{
    /// <summary>Writes the line and returns its length.</summary>
    public static int Format(Span<byte> dest, long orderId, long productId, long customerId, long priceCents, long quantity, long eventMs)
    {
        var n = 0;
        n += Field(dest[n..], orderId);
        n += Field(dest[n..], productId);
        n += Field(dest[n..], customerId);
        n += Field(dest[n..], priceCents);
        n += Field(dest[n..], quantity);
        n += IsoTimestamp.Format(eventMs, dest[n..]);
        dest[n++] = (byte)'\n';
        return n;

        static int Field(Span<byte> d, long v)
        {
            Utf8Formatter.TryFormat(v, d, out var w);
            d[w] = (byte)',';
            return w + 1;
        }
    }
}
