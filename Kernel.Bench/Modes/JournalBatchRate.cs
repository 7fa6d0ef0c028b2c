using Kernel.Bench.Quick;
using Kernel.Journal;
using Kernel.Modes;
using Kernel.Operators;
using Kernel.Storage.Log;

namespace Kernel.Bench.Modes;

/// <summary>
/// The rate of a batch run over a journal range: orders journaled with <see cref="JournalRecord"/>
/// into a temporary log, then read back, decoded and aggregated by <see cref="BatchRunner.RunLog"/>
/// (what a backfill over the journal costs per event, at full speed).
/// </summary>
public static class JournalBatchRate
{
    /// <summary>Measures and reports the metric <c>journal-batch</c> / <c>rate</c> (events/s).</summary>
    public static void Report(QuickReport report, string suite, ModeOrder[] orders)
    {
        var count = (int)Math.Min(orders.Length, QuickSettings.Scaled(2_000_000, minimum: 50_000));
        var dir = Path.Combine(Path.GetTempPath(), $"kernel-modes-{Environment.ProcessId}");
        try
        {
            using var log = SegmentedLog.Open(dir, new LogOptions { SegmentBytes = 64L << 20 });
            Fill(log, orders.AsSpan(0, count));
            var options = new BatchOptions { BatchSize = ModeData.BatchSize };
            var (rate, alloc) = Measure.Median(() =>
            {
                var op = new KeyedAggregator<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec>(ModeData.Products);
                BatchRunner.RunLog<ModeOrder, KeyedBatchTarget<ModeOrder, long, ProductRevenue.State, ProductRevenue, ProductRevenue.Spec>>(
                    BatchTarget.For(op), log, 0, long.MaxValue, options);
            }, count, warmups: 1, repeats: 3);
            Measure.Progress($"modes: journal-batch {rate:E3} ev/s over {count} journaled orders ({alloc:F3} B/event)");
            report.Metric(suite, "journal-batch", "rate", rate, "events/s");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static void Fill(SegmentedLog log, ReadOnlySpan<ModeOrder> orders)
    {
        const int batch = 1024;
        var length = JournalRecord.LengthOf<ModeOrder>();
        var payloads = new byte[batch * length];
        var lengths = new int[batch];
        var timestamps = new long[batch];
        Array.Fill(lengths, length);
        for (var i = 0; i < orders.Length; i += batch)
        {
            var n = Math.Min(batch, orders.Length - i);
            for (var j = 0; j < n; j++)
            {
                JournalRecord.Write(payloads.AsSpan(j * length, length), i + j, 0, orders[i + j]);
                timestamps[j] = orders[i + j].TimestampMs;
            }
            log.AppendBatch(payloads.AsSpan(0, n * length), lengths.AsSpan(0, n), timestamps.AsSpan(0, n));
        }
        log.Flush();
    }
}
