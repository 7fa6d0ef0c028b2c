using System.Buffers.Text;

namespace Kernel.Bench.Sources;

/// <summary>Generates the benchmark's in-memory orders CSV, seeded, header included.</summary>
public static class OrderCsv
{
    public const string Header = "order_id,product_id,customer_id,price_cents,quantity,event_time";

    /// <summary>About <paramref name="targetBytes"/> of CSV; returns the bytes and the record count.</summary>
    public static (byte[] Data, long Records) Generate(long targetBytes, int seed = 42)
    {
        var random = new Random(seed);
        var stream = new MemoryStream((int)Math.Min(int.MaxValue, targetBytes + 4096));
        stream.Write(System.Text.Encoding.ASCII.GetBytes(Header + "\n"));
        Span<byte> line = stackalloc byte[128];
        var time = new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc);
        long records = 0;
        while (stream.Length < targetBytes)
        {
            records++;
            time = time.AddMilliseconds(random.Next(0, 15));
            var n = 0;
            n += Write(line[n..], records);
            n += Write(line[n..], random.Next(1, 5001));
            n += Write(line[n..], random.Next(1, 1_000_001));
            n += Write(line[n..], random.Next(99, 100_000));
            n += Write(line[n..], random.Next(1, 11));
            time.TryFormat(line[n..], out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            n += written;
            line[n++] = (byte)'\n';
            stream.Write(line[..n]);
        }
        return (stream.ToArray(), records);
    }

    private static int Write(Span<byte> into, long value)
    {
        Utf8Formatter.TryFormat(value, into, out var written);
        into[written] = (byte)',';
        return written + 1;
    }
}
