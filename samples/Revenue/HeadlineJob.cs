using System.Diagnostics;
using System.Globalization;
using Revenue.Generation;
using Revenue.Jobs;
using Spectre.Console;

namespace Revenue;

/// <summary>
/// What <c>revenue</c> runs with no arguments: generate a realistic week of orders into a data
/// directory, stream them through Kernel with a live dashboard, then run the same declaration as
/// a batch and say whether the two answers agree, explaining any difference.
/// </summary>
internal static class HeadlineJob
{
    /// <summary>Runs the job; returns the exit code.</summary>
    public static async Task<int> RunAsync()
    {
        var dir = Path.Combine(Environment.CurrentDirectory, "revenue-data");
        // The headline job always starts over: an earlier run's journal and checkpoints would make
        // this one resume (that is what `revenue stream` is for), not show a run from the start.
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        var orders = Path.Combine(dir, "orders.csv");
        var settings = new OrderStreamSettings { Orders = 2_000_000, Days = 7, Seed = 2028, LateFraction = 0.001 };
        AnsiConsole.MarkupLine($"[bold]Kernel[/] · total revenue per day per product · data directory [blue]{Markup.Escape(dir)}[/]");

        AnsiConsole.Status().Start($"generating {settings.Orders:N0} orders over {settings.Days} days…", _ =>
        {
            using var file = File.Create(orders);
            new OrderGenerator(settings).Write(file);
        });

        using var job = new StreamJob(new StreamSettings
        {
            Input = orders,
            DataDirectory = dir,
            Output = Path.Combine(dir, "revenue.csv"),
            LateOutput = Path.Combine(dir, "late.csv"),
        });
        var inputBytes = new FileInfo(orders).Length;
        var watch = Stopwatch.StartNew();
        var run = job.RunAsync(CancellationToken.None);
        await AnsiConsole.Live(Dashboard.Render(job, inputBytes, watch.Elapsed)).StartAsync(async ctx =>
        {
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(250)).ConfigureAwait(false);
                ctx.UpdateTarget(Dashboard.Render(job, inputBytes, watch.Elapsed));
            }
            ctx.UpdateTarget(Dashboard.Render(job, inputBytes, watch.Elapsed));
        }).ConfigureAwait(false);
        await run.ConfigureAwait(false);

        var batch = await BatchJob.RunAsync(orders, Kernel.Sources.BadRecordPolicy.Fail, null, CancellationToken.None).ConfigureAwait(false);
        batch.WriteCsv(Path.Combine(dir, "revenue-batch.csv"));
        // A disagreement the late orders do not explain is a failed run: exit 1, so scripts and CI see it.
        return Compare(job, batch) ? 0 : 1;
    }

    /// <summary>Prints how the stream's answer compares with the batch's; true when they agree (up to the late orders).</summary>
    private static bool Compare(StreamJob stream, RevenueTable batch)
    {
        var s = stream.Table;
        var missingOrders = batch.TotalOrders - s.TotalOrders;
        var missingCents = batch.TotalRevenueCents - s.TotalRevenueCents;
        var explained = missingOrders == stream.Late.Count && missingCents == stream.Late.RevenueCents;
        if (missingOrders == 0 && missingCents == 0)
        {
            AnsiConsole.MarkupLine("[green]Stream and batch agree[/]: the same orders and the same revenue in both.");
            return true;
        }
        else if (explained)
        {
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[green]Stream and batch agree[/] up to the late orders: the batch counts every order, the stream left out [yellow]{stream.Late.Count:N0}[/] orders worth [yellow]{Money(stream.Late.RevenueCents)}[/] that arrived after their day closed (beyond 10m out-of-orderness + 1h lateness; see late.csv)."));
            return true;
        }
        else
        {
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[red]Stream and batch disagree[/]: {missingOrders:N0} orders / {Money(missingCents)} differ, but only {stream.Late.Count:N0} orders / {Money(stream.Late.RevenueCents)} were late."));
            return false;
        }
    }

    /// <summary>Cents as dollars with thousands separators.</summary>
    public static string Money(long cents) => (cents / 100m).ToString("$#,##0.00", CultureInfo.InvariantCulture);
}
