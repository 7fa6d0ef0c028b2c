using System.Buffers.Text;
using System.Text;

namespace Revenue.Generation;

/// <summary>
/// Writes a realistic order stream as orders.csv: skewed product popularity, per-product prices,
/// a daily rhythm (quiet nights, busy evenings), some orders out of order and a few very late.
/// File order is arrival order; <c>event_time</c> is when the order happened.
/// </summary>
internal sealed class OrderGenerator
{
    /// <summary>The CSV header of orders.csv.</summary>
    public const string Header = "order_id,product_id,customer_id,price_cents,quantity,event_time";

    private const long DayMs = 86_400_000;
    private readonly OrderStreamSettings _settings;
    private readonly double[] _popularityCdf;
    private readonly long[] _priceCents;
    private readonly double[] _rhythmCdf; // cumulative order intensity per minute of the day

    /// <summary>Prepares the product catalogue and the daily rhythm for <paramref name="settings"/>.</summary>
    public OrderGenerator(OrderStreamSettings settings)
    {
        _settings = settings;
        var rng = new SplitMix64(settings.Seed ^ 0x5EED);
        _popularityCdf = new double[settings.Products];
        _priceCents = new long[settings.Products];
        double total = 0;
        for (var p = 0; p < settings.Products; p++)
        {
            total += 1.0 / Math.Pow(p + 1, 1.1);
            _popularityCdf[p] = total;
            // Prices from about $2 to about $900, most under $50.
            _priceCents[p] = 199 + (long)(Math.Exp(rng.NextDouble() * 6.1) * 100) / 100 * 100 + rng.NextInt64(100);
        }
        for (var p = 0; p < settings.Products; p++) _popularityCdf[p] /= total;

        _rhythmCdf = new double[1440];
        double acc = 0;
        for (var m = 0; m < 1440; m++)
        {
            var hour = m / 60.0;
            acc += 1.0 + 0.8 * Math.Sin(2 * Math.PI * (hour - 14) / 24); // peak around 20:00, low around 08:00
            _rhythmCdf[m] = acc;
        }
        for (var m = 0; m < 1440; m++) _rhythmCdf[m] /= acc;
    }

    /// <summary>Writes the header and every order to <paramref name="output"/>, reporting progress every 1% of orders.</summary>
    public void Write(Stream output, Action<long>? progress = null)
    {
        var s = _settings;
        var rng = new SplitMix64(s.Seed);
        var startMs = new DateTimeOffset(s.Start).ToUnixTimeMilliseconds();
        var perDay = Math.Max(1, (s.Orders + s.Days - 1) / s.Days);
        var buffer = new byte[1 << 20];
        var used = Encoding.ASCII.GetBytes(Header + "\n", buffer);
        var step = Math.Max(1, s.Orders / 100);
        for (long i = 0; i < s.Orders; i++)
        {
            var day = i / perDay;
            var within = (i % perDay + 0.5) / perDay;
            var arrivalMs = startMs + day * DayMs + MinuteOfDayMs(within);
            var eventMs = arrivalMs;
            var roll = rng.NextDouble();
            if (roll < s.LateFraction)
                eventMs -= 26 * 3_600_000L + rng.NextInt64(24 * 3_600_000L);
            else if (roll < s.LateFraction + s.OutOfOrderFraction)
                eventMs -= 1 + rng.NextInt64(s.MaxDisorderMs);
            if (eventMs < startMs) eventMs = startMs + rng.NextInt64(60_000);

            var product = PickProduct(rng.NextDouble());
            var quantity = 1 + (rng.NextDouble() < 0.8 ? 0 : rng.NextInt64(4));
            var customer = 1 + rng.NextInt64(100_000);

            if (buffer.Length - used < 256)
            {
                output.Write(buffer, 0, used);
                used = 0;
            }
            used += FormatLine(buffer.AsSpan(used), i + 1, product + 1, customer, _priceCents[product], quantity, eventMs);
            if (progress is not null && (i + 1) % step == 0) progress(i + 1);
        }
        output.Write(buffer, 0, used);
        progress?.Invoke(s.Orders);
    }

    private long MinuteOfDayMs(double fraction)
    {
        var m = Array.BinarySearch(_rhythmCdf, fraction);
        if (m < 0) m = ~m;
        m = Math.Min(m, 1439);
        var lo = m == 0 ? 0 : _rhythmCdf[m - 1];
        var within = (fraction - lo) / (_rhythmCdf[m] - lo);
        return m * 60_000L + (long)(within * 60_000);
    }

    private int PickProduct(double u)
    {
        var p = Array.BinarySearch(_popularityCdf, u);
        if (p < 0) p = ~p;
        return Math.Min(p, _popularityCdf.Length - 1);
    }

    private static int FormatLine(Span<byte> dest, long orderId, long productId, long customerId, long priceCents, long quantity, long eventMs)
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
