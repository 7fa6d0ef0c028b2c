using System.Globalization;
using Revenue.Jobs;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Revenue;

/// <summary>The live terminal view of a stream run: progress, rates, watermark, late orders, revenue.</summary>
internal static class Dashboard
{
    /// <summary>Renders the current state of <paramref name="job"/>.</summary>
    public static IRenderable Render(StreamJob job, long inputBytes, TimeSpan elapsed)
    {
        var p = job.Progress;
        var bytes = p?.BytesRead ?? 0;
        var records = p?.RecordsRead ?? 0;
        var op = job.Operator;
        var watermark = op.Watermark;
        var lag = p is null || op.EventsSeen == 0 || watermark <= 0 ? "-" : "10m + 1ms behind the newest order";

        var status = new Grid().AddColumn().AddColumn();
        status.AddRow("progress", Bar(inputBytes == 0 ? 1 : (double)bytes / inputBytes));
        status.AddRow("orders read", records.ToString("N0", CultureInfo.InvariantCulture));
        status.AddRow("events/s", (elapsed.TotalSeconds > 0 ? op.EventsSeen / elapsed.TotalSeconds : 0).ToString("N0", CultureInfo.InvariantCulture));
        status.AddRow("watermark", watermark > 0 && watermark < long.MaxValue
            ? DateTime.UnixEpoch.AddMilliseconds(watermark).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + $" ({lag})"
            : "-");
        status.AddRow("late orders", $"{job.Late.Count:N0} ({HeadlineJob.Money(job.Late.RevenueCents)})");
        status.AddRow("rows final", job.Table.Count.ToString("N0", CultureInfo.InvariantCulture));
        var (checkpointId, stats) = job.LastCheckpoint;
        status.AddRow("last checkpoint", checkpointId == 0 || stats is not { } s ? "-"
            : string.Create(CultureInfo.InvariantCulture, $"#{checkpointId}: {s.Duration.TotalMilliseconds:F1} ms, pause {s.Pause.TotalMicroseconds:F0} µs, {s.BytesWritten:N0} bytes"));

        var days = new Table().Title("revenue per day (closed days)").AddColumn("day").AddColumn(new TableColumn("revenue").RightAligned()).AddColumn(new TableColumn("orders").RightAligned());
        foreach (var (day, cents, orders) in job.Table.Days())
            days.AddRow(RevenueTable.Day(day), HeadlineJob.Money(cents), orders.ToString("N0", CultureInfo.InvariantCulture));

        var (top, title) = TopProducts(job, watermark);
        var products = new Table().Title(title)
            .AddColumn("product").AddColumn(new TableColumn("revenue").RightAligned()).AddColumn(new TableColumn("orders").RightAligned());
        foreach (var (product, cents, orders) in top)
            products.AddRow(product.ToString(CultureInfo.InvariantCulture), HeadlineJob.Money(cents), orders.ToString("N0", CultureInfo.InvariantCulture));

        return new Rows(new Panel(status).Header("stream"), new Columns(days, products));
    }

    /// <summary>
    /// Today's top products while the stream runs: a top-5 query on the operator's live state for the
    /// open day (the day of the newest order, watermark + out-of-orderness), uncommitted and updated
    /// with every batch. Once the input has ended (the watermark is +∞) no day is open any more, and the
    /// latest day's final rows are shown instead.
    /// </summary>
    public static (List<(long ProductId, long RevenueCents, long Orders)> Rows, string Title) TopProducts(StreamJob job, long watermark)
    {
        if (watermark > long.MinValue && watermark < long.MaxValue - job.Settings.OutOfOrdernessMs)
        {
            var newest = watermark + job.Settings.OutOfOrdernessMs;
            var today = newest - (long)((ulong)newest % 86_400_000UL);
            var live = job.View.Top(today, 5, r => r.RevenueCents, out _);
            return (live.Select(r => (r.ProductId, r.RevenueCents, r.Orders)).ToList(), $"top products today ({RevenueTable.Day(today)}, live)");
        }
        var final = job.Table.TopProductsOfLatestDay(5, out var latest);
        return (final, latest == 0 ? "top products" : $"top products on {RevenueTable.Day(latest)} (final)");
    }

    private static string Bar(double fraction)
    {
        fraction = Math.Clamp(fraction, 0, 1);
        var filled = (int)(fraction * 40);
        return "[green]" + new string('█', filled) + "[/][grey]" + new string('░', 40 - filled) + "[/] " + fraction.ToString("P0", CultureInfo.InvariantCulture);
    }
}
