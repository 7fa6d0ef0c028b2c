using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Kernel.Journal;
using Kernel.Storage.Log;
using Revenue.Cli;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// What a stream run leaves in its data directory, and how the other commands find it:
/// <code>
///  DIR/journal/            every order in arrival order (kept whole: replay reads it from offset 0)
///  DIR/checkpoints/        checkpoint manifests and operator state
///  DIR/out/                the exactly-once files behind revenue.csv and late.csv
///  DIR/results/            the results table (LSM store): final rows by (product, day), committed per checkpoint
///  DIR/stream.settings     the event-time settings the stream ran with (replay uses them)
/// </code>
/// </summary>
public static class DataDirectory
{
    /// <summary>A fingerprint of <see cref="Order"/>'s journaled layout: the journal refuses another.</summary>
    public static readonly ulong OrderLayout = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(
        "Revenue.Model.Order:OrderId:i64,ProductId:i64,CustomerId:i64,PriceCents:i64,Quantity:i64,TimestampMs:i64"));

    /// <summary>The journal's segment size (the pipeline's default).</summary>
    public const long JournalSegmentBytes = 64L << 20;

    /// <summary>The journal's directory.</summary>
    public static string Journal(string dir) => Path.Combine(dir, "journal");

    /// <summary>The results table's directory.</summary>
    public static string Results(string dir) => Path.Combine(dir, "results");

    /// <summary>The settings file.</summary>
    public static string Settings(string dir) => Path.Combine(dir, "stream.settings");

    /// <summary>Records the event-time settings of a stream run (through a temp file and a rename).</summary>
    public static void WriteSettings(string dir, long outOfOrdernessMs, long latenessMs)
    {
        var path = Settings(dir);
        File.WriteAllText(path + ".tmp", string.Create(CultureInfo.InvariantCulture,
            $"out_of_orderness_ms={outOfOrdernessMs}\nlateness_ms={latenessMs}\n"));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The event-time settings a stream ran with, or the declared defaults (10m, 1h) when none were recorded.</summary>
    public static (long OutOfOrdernessMs, long LatenessMs) ReadSettings(string dir)
    {
        long outOfOrderness = 600_000, lateness = 3_600_000;
        var path = Settings(dir);
        if (!File.Exists(path)) return (outOfOrderness, lateness);
        foreach (var line in File.ReadLines(path))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0) continue;
            if (!long.TryParse(line.AsSpan(eq + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 0)
                throw new UsageException($"{path}: bad value in '{line}'", showUsage: false);
            switch (line[..eq])
            {
                case "out_of_orderness_ms": outOfOrderness = v; break;
                case "lateness_ms": lateness = v; break;
            }
        }
        return (outOfOrderness, lateness);
    }

    /// <summary>Checks that <paramref name="dir"/> exists; a usage error naming it otherwise.</summary>
    public static void RequireExists(string dir)
    {
        if (!Directory.Exists(dir)) throw new UsageException($"--data {dir}: no such directory", showUsage: false);
    }

    /// <summary>
    /// Opens the journal of a finished (or stopped) stream run for reading. Usage errors: no journal,
    /// an empty one, or one a running stream holds open.
    /// </summary>
    public static SegmentedLog OpenJournal(string dir)
    {
        RequireExists(dir);
        var journal = Journal(dir);
        if (!Directory.Exists(journal) || !Directory.EnumerateFiles(journal, "*.seg").Any())
            throw new UsageException($"--data {dir}: holds no journal (run `revenue stream --data {dir}` first)", showUsage: false);
        SegmentedLog log;
        try
        {
            log = SegmentedLog.Open(journal, new LogOptions
            {
                PayloadFingerprint = JournalRecord.Fingerprint<Order>(OrderLayout),
                SegmentBytes = JournalSegmentBytes,
                PrepareNextSegment = false,
                PreTouchPages = false,
            });
        }
        catch (IOException e) when (e is LogFormatException or LogCorruptionException)
        {
            throw new UsageException($"--data {dir}: {e.Message}", showUsage: false);
        }
        catch (IOException e)
        {
            throw new UsageException($"--data {dir}: {e.Message} (is a stream still running on it?)", showUsage: false);
        }
        if (log.EndOffset == log.StartOffset)
        {
            log.Dispose();
            throw new UsageException($"--data {dir}: the journal is empty", showUsage: false);
        }
        return log;
    }
}
