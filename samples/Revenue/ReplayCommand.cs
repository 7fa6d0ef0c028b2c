using System.Globalization;
using Revenue.Cli;
using Revenue.Jobs;

namespace Revenue;

/// <summary>
/// <c>revenue replay --data DIR [--from OFFSET|ISO-TIMESTAMP] --out revenue.csv</c>: the journal of a
/// stream run through the same declaration with stream semantics, at full speed.
/// </summary>
internal static class ReplayCommand
{
    private static readonly string[] s_timeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm'Z'", "yyyy-MM-dd",
    ];

    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(CommandLine cl)
    {
        var dir = cl.Required("data");
        var output = cl.Required("out");
        var from = cl.Optional("from");
        cl.RejectUnknown();
        DataDirectory.RequireExists(dir);
        var (outOfOrderness, lateness) = DataDirectory.ReadSettings(dir);
        using var log = DataDirectory.OpenJournal(dir);
        var offset = ResolveFrom(from, log);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = ReplayJob.Run(log, offset, outOfOrderness, lateness);
        var seconds = Math.Max(watch.Elapsed.TotalSeconds, 1e-6);
        result.Table.WriteCsv(output);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replay: {result.Records:N0} journaled orders from offset {offset}, {result.Late.Count:N0} late, {result.Table.Count:N0} rows → {output} ({seconds:F2} s, {result.Records / seconds:N0} orders/s)"));
        return 0;
    }

    /// <summary>The journal offset <c>--from</c> names: an offset, or the first record at or after an event time.</summary>
    private static long ResolveFrom(string? from, Kernel.Storage.Log.SegmentedLog log)
    {
        if (from is null) return log.StartOffset;
        if (long.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            if (offset < log.StartOffset || offset > log.EndOffset)
                throw new UsageException($"--from {from}: the journal holds offsets {log.StartOffset} to {log.EndOffset - 1}", showUsage: false);
            return offset;
        }
        if (!DateTime.TryParseExact(from, s_timeFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
            throw new UsageException($"--from must be a journal offset (0, 1, …) or an ISO-8601 UTC time (2028-02-27T00:00:00.000Z or 2028-02-27), got '{from}'");
        var ms = (long)(time - DateTime.UnixEpoch).TotalMilliseconds;
        using var reader = log.OpenReaderAtTime(ms);
        return reader.NextOffset;
    }
}
