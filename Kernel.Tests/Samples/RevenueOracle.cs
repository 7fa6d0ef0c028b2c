using System.Globalization;

namespace Kernel.Tests.Samples;

/// <summary>
/// An independent answer to "revenue per day per product", written plainly from the CLI contract
/// (string splitting, DateTime parsing, a dictionary), to check the engine's output against.
/// </summary>
internal static class RevenueOracle
{
    private const long DayMs = 86_400_000;

    public sealed record Order(string Line, long ProductId, long Revenue, long EventMs);

    public static List<Order> ReadOrders(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var f = l.Split(',');
            var t = DateTime.Parse(f[5], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            var ms = (long)(t - DateTime.UnixEpoch).TotalMilliseconds;
            return new Order(l, long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture) * long.Parse(f[4], CultureInfo.InvariantCulture), ms);
        }).ToList();

    /// <summary>Batch: every order counted.</summary>
    public static SortedDictionary<(string Day, long Product), (long Revenue, long Orders)> Batch(IEnumerable<Order> orders) => Group(orders);

    /// <summary>
    /// Stream, as the contract states it: an order is late iff its day's end + lateness +
    /// out-of-orderness ≤ the largest event time among the orders before it.
    /// </summary>
    public static (SortedDictionary<(string Day, long Product), (long Revenue, long Orders)> Rows, List<Order> Late) Stream(
        IReadOnlyList<Order> orders, long outOfOrdernessMs, long latenessMs)
    {
        var counted = new List<Order>();
        var late = new List<Order>();
        var max = long.MinValue;
        foreach (var o in orders)
        {
            var dayEnd = Floor(o.EventMs) + DayMs;
            if (max != long.MinValue && dayEnd + latenessMs + outOfOrdernessMs <= max) late.Add(o);
            else counted.Add(o);
            max = Math.Max(max, o.EventMs);
        }
        return (Group(counted), late);
    }

    public static SortedDictionary<(string Day, long Product), (long Revenue, long Orders)> ReadRevenue(string path)
    {
        var lines = File.ReadAllLines(path);
        Assert.Equal("day,product_id,revenue_cents,orders", lines[0]);
        var result = new SortedDictionary<(string, long), (long, long)>();
        foreach (var l in lines.Skip(1))
        {
            var f = l.Split(',');
            Assert.True(result.TryAdd((f[0], long.Parse(f[1], CultureInfo.InvariantCulture)),
                (long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture))), "duplicate row " + l);
        }
        return result;
    }

    private static SortedDictionary<(string Day, long Product), (long Revenue, long Orders)> Group(IEnumerable<Order> orders)
    {
        var result = new SortedDictionary<(string, long), (long, long)>();
        foreach (var o in orders)
        {
            var key = (DateTime.UnixEpoch.AddMilliseconds(Floor(o.EventMs)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), o.ProductId);
            result.TryGetValue(key, out var v);
            result[key] = (v.Item1 + o.Revenue, v.Item2 + 1);
        }
        return result;
    }

    private static long Floor(long ms) => ms - (((ms % DayMs) + DayMs) % DayMs);
}
