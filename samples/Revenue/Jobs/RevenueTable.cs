using System.Globalization;
using System.Text;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// The rows of revenue.csv: one per (day, product) with at least one counted order, kept sorted
/// by day then product so two runs that agree write byte-identical files. Rows arrive on the
/// operator's thread while a dashboard may read: every member takes the table's lock (a row is
/// added once per (day, product), far off the per-event path).
/// </summary>
public sealed class RevenueTable
{
    /// <summary>The header of revenue.csv.</summary>
    public const string Header = "day,product_id,revenue_cents,orders";

    private readonly SortedDictionary<(long Day, long Product), (long Revenue, long Orders)> _rows = new();
    private readonly Lock _lock = new();
    private long _totalRevenueCents;
    private long _totalOrders;

    /// <summary>Number of rows.</summary>
    public int Count
    {
        get { lock (_lock) return _rows.Count; }
    }

    /// <summary>Total revenue over all rows.</summary>
    public long TotalRevenueCents => Volatile.Read(ref _totalRevenueCents);

    /// <summary>Total counted orders over all rows.</summary>
    public long TotalOrders => Volatile.Read(ref _totalOrders);

    /// <summary>Adds a final row; a second row for the same (day, product) is a bug upstream and throws.</summary>
    public void Add(in DailyRevenue row)
    {
        lock (_lock)
        {
            if (!_rows.TryAdd((row.DayStartMs, row.ProductId), (row.RevenueCents, row.Orders)))
                throw new InvalidOperationException($"two final rows for product {row.ProductId} on {Day(row.DayStartMs)}");
            Volatile.Write(ref _totalRevenueCents, _totalRevenueCents + row.RevenueCents);
            Volatile.Write(ref _totalOrders, _totalOrders + row.Orders);
        }
    }

    /// <summary>A copy of the rows, in order.</summary>
    public List<(long DayStartMs, long ProductId, long RevenueCents, long Orders)> Rows()
    {
        lock (_lock) return _rows.Select(r => (r.Key.Day, r.Key.Product, r.Value.Revenue, r.Value.Orders)).ToList();
    }

    /// <summary>Revenue and orders per day, in day order.</summary>
    public List<(long DayStartMs, long RevenueCents, long Orders)> Days()
    {
        lock (_lock)
            return _rows.GroupBy(r => r.Key.Day).Select(g => (g.Key, g.Sum(r => r.Value.Revenue), g.Sum(r => r.Value.Orders))).ToList();
    }

    /// <summary>The <paramref name="n"/> products with the most revenue on the latest day that has rows.</summary>
    public List<(long ProductId, long RevenueCents, long Orders)> TopProductsOfLatestDay(int n, out long dayStartMs)
    {
        lock (_lock)
        {
            dayStartMs = _rows.Count == 0 ? 0 : _rows.Keys.Max(k => k.Day);
            var day = dayStartMs;
            return _rows.Where(r => r.Key.Day == day).OrderByDescending(r => r.Value.Revenue).ThenBy(r => r.Key.Product)
                .Take(n).Select(r => (r.Key.Product, r.Value.Revenue, r.Value.Orders)).ToList();
        }
    }

    /// <summary>
    /// Writes revenue.csv through a temp file and a rename: the file at <paramref name="path"/> is
    /// either the previous one or the complete new one, never half-written.
    /// </summary>
    public void WriteCsv(string path)
    {
        var temp = path + ".tmp";
        using (var w = new StreamWriter(temp, append: false, new UTF8Encoding(false), 1 << 16))
        {
            w.NewLine = "\n";
            w.WriteLine(Header);
            foreach (var (day, product, revenue, orders) in Rows())
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Day(day)},{product},{revenue},{orders}"));
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The UTC date of a day start as <c>YYYY-MM-DD</c>.</summary>
    public static string Day(long dayStartMs) =>
        DateTime.UnixEpoch.AddMilliseconds(dayStartMs).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
