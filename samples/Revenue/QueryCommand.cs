using System.Globalization;
using Revenue.Cli;
using Revenue.Jobs;
using Revenue.Model;

namespace Revenue;

/// <summary>
/// <c>revenue query --data DIR --product P [--day YYYY-MM-DD]</c>: reads the results table a stream
/// run committed in DIR — a point lookup with <c>--day</c>, otherwise every day of the product in
/// day order — and prints revenue.csv's lines on stdout (header first).
/// </summary>
internal static class QueryCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(CommandLine cl)
    {
        var dir = cl.Required("data");
        var product = cl.Int64("product", long.MinValue);
        if (product == long.MinValue) throw new UsageException("'query' needs --product");
        var dayText = cl.Optional("day");
        cl.RejectUnknown();
        long? day = null;
        if (dayText is not null)
        {
            if (!DateTime.TryParseExact(dayText, "yyyy-MM-dd", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
                throw new UsageException($"--day must be a date written YYYY-MM-DD, got '{dayText}'");
            day = (long)(date - DateTime.UnixEpoch).TotalMilliseconds;
        }
        DataDirectory.RequireExists(dir);
        var results = DataDirectory.Results(dir);
        if (!Directory.Exists(results))
            throw new UsageException($"--data {dir}: holds no results table (run `revenue stream --data {dir}` first)", showUsage: false);

        ResultsTable table;
        try
        {
            table = new ResultsTable(results);
        }
        catch (IOException e)
        {
            throw new UsageException($"--data {dir}: {e.Message} (is a stream still running on it?)", showUsage: false);
        }
        using (table)
        {
            var rows = new List<DailyRevenue>();
            long epoch;
            if (day is { } d)
            {
                if (table.TryGet(product, d, out var row, out epoch)) rows.Add(row);
            }
            else
            {
                epoch = table.CopyKey(product, rows);
            }
            var stdout = Console.Out;
            stdout.Write(RevenueTable.Header + "\n");
            foreach (var r in rows)
                stdout.Write(string.Create(CultureInfo.InvariantCulture, $"{RevenueTable.Day(r.DayStartMs)},{r.ProductId},{r.RevenueCents},{r.Orders}\n"));
            stdout.Flush();
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"query: {rows.Count} row(s) for product {product}{(dayText is null ? "" : " on " + dayText)}, as of checkpoint {epoch}"));
        }
        return 0;
    }
}
