using System.IO.Hashing;
using Kernel.Bench.Quick;
using Kernel.Storage.Common;
using Kernel.Storage.Log;

namespace Kernel.Bench.Log;

/// <summary>
/// Quick mode for the log (<c>quick log</c>): appends of 32- and 512-byte records against a
/// FileStream (1 MiB buffer), FasterLog and a bare memory copy, the same with a final flush against
/// FasterLog, sequential read-back, and the frame checksum (CRC-32C against XxHash3).
/// </summary>
/// <remarks>
/// Each run appends into a fresh log whose single segment holds the whole run. With staged writes
/// (the default) the writer frames records in its staging buffer and writes them to the file in
/// 1 MiB writes; with <c>KERNEL_LOG_STAGING=0</c> it stores into the mapping, pre-touched when the
/// log was opened (untimed). The timed part is the appends (and the final flush).
/// </remarks>
public sealed class LogQuickSuite : IQuickSuite
{
    private const string Suite = "log";

    /// <inheritdoc />
    public string Name => Suite;

    /// <inheritdoc />
    public void Run(QuickReport report)
    {
        var root = Path.Combine(Path.GetTempPath(), "kernel-bench-log", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            AppendCases(report, root, 32, 4_000_000);
            AppendCases(report, root, 512, 400_000);
            ReadCase(report, root, 512, 400_000);
            ChecksumCases(report);
        }
        finally
        {
            BenchTiming.DeleteDirectory(root);
        }
    }

    private static byte[] Payload(int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        return payload;
    }

    /// <summary>
    /// <c>KERNEL_LOG_STAGING</c> (bytes) overrides <see cref="LogOptions.StagingBytes"/> in every case
    /// of ours (0: stores into the mapping), to compare the write paths in one binary.
    /// </summary>
    private static readonly int s_stagingBytes =
        int.TryParse(Environment.GetEnvironmentVariable("KERNEL_LOG_STAGING"), out var n) && n >= 0 ? n : new LogOptions().StagingBytes;

    private static LogOptions OptionsFor(int size, long count, FlushPolicy policy = FlushPolicy.None) => new()
    {
        StagingBytes = s_stagingBytes,
        SegmentBytes = ((count * (size + 24) + (1 << 20)) >> 20 << 20) + (1 << 20),
        FlushPolicy = policy,
        // With a flush policy, every 4 MiB appended is handed to the disk at once (sync_file_range),
        // so the interval flushes and the final one mostly wait for writes already under way.
        WriteBehindBytes = policy == FlushPolicy.None ? 0 : 4 << 20,
        FlushInterval = TimeSpan.FromMilliseconds(5),
        PrepareNextSegment = false,
        PreTouchPages = true,
    };

    private static TimedCase LogAppend(string root, byte[] payload, long count) =>
        TimedCase.Of(
            "ours",
            () =>
            {
                var dir = BenchTiming.NewDirectory(root);
                return (Dir: dir, Log: SegmentedLog.Open(dir, OptionsFor(payload.Length, count)));
            },
            s =>
            {
                var log = s.Log;
                for (var i = 0; i < count; i++) log.Append(payload, i);
            },
            s =>
            {
                s.Log.Dispose();
                BenchTiming.DeleteDirectory(s.Dir);
            });

    /// <summary>
    /// Appends, then one flush that returns when every record is on the disk. Pages are written
    /// back while appending (write-behind every 4 MiB, msync every 5 ms; as FasterLog writes full
    /// pages while enqueueing), so the final flush only waits for the rest.
    /// </summary>
    private static TimedCase LogAppendFlush(string root, byte[] payload, long count) =>
        TimedCase.Of(
            "ours-flush",
            () =>
            {
                var dir = BenchTiming.NewDirectory(root);
                return (Dir: dir, Log: SegmentedLog.Open(dir, OptionsFor(payload.Length, count, FlushPolicy.Interval)));
            },
            s =>
            {
                var log = s.Log;
                for (var i = 0; i < count; i++) log.Append(payload, i);
                log.Flush();
            },
            s =>
            {
                s.Log.Dispose();
                BenchTiming.DeleteDirectory(s.Dir);
            });

    /// <summary>
    /// A log in its steady state, unlike the single pre-touched segment of the other cases: one log
    /// kept open over all rounds, 64 MiB segments (the default, so a run rolls about three times),
    /// retention to two segments freeing the oldest at each roll, the next segment prepared (created
    /// and pre-touched) on the background thread, and with <paramref name="recycle"/> the freed files
    /// reused for new segments (the warm-up round fills the pool). Each run appends and then flushes
    /// once, as <see cref="LogAppendFlush"/>.
    /// </summary>
    private sealed class SteadyLog(string root, bool recycle) : IDisposable
    {
        private SegmentedLog? _log;
        private string? _dir;

        public SegmentedLog Log
        {
            get
            {
                if (_log is null)
                {
                    _dir = BenchTiming.NewDirectory(root);
                    const long segmentBytes = 64L << 20; // the default
                    _log = SegmentedLog.Open(_dir, new LogOptions
                    {
                        SegmentBytes = segmentBytes,
                        FlushPolicy = FlushPolicy.Interval,
                        FlushInterval = TimeSpan.FromMilliseconds(5),
                        WriteBehindBytes = 4 << 20,
                        RetentionBytes = 2 * segmentBytes,
                        RecycleSegments = recycle ? 4 : 0,
                        PrepareNextSegment = true,
                        PreTouchPages = true,
                        StagingBytes = s_stagingBytes,
                    });
                    _log.RetentionFloor = long.MaxValue;
                }
                return _log;
            }
        }

        public TimedCase Case(byte[] payload, long count) =>
            TimedCase.Of(
                recycle ? "ours-steady-recycled" : "ours-steady",
                () => Log,
                log =>
                {
                    for (var i = 0; i < count; i++) log.Append(payload, i);
                    log.Flush();
                },
                _ => { });

        public void Dispose()
        {
            _log?.Dispose();
            if (_dir is not null) BenchTiming.DeleteDirectory(_dir);
        }
    }

    private static void AppendCases(QuickReport report, string root, int size, long count)
    {
        var payload = Payload(size);
        var name = $"append-{size}";
        Measure.Progress($"log: {name} ({count:N0} records), filestream, memcpy (alternating)");
        // Alternating rounds here too: the machine's load drifts, and these ratios have targets.
        var appended = BenchTiming.Alternating(
            [LogAppend(root, payload, count), LogBaselines.FileStreamAppend(root, payload, count), LogBaselines.MemoryCopy(payload, count)],
            count, warmupRounds: 2, rounds: 5);
        var (ours, fileStream, memcpy) = (appended[0], appended[1].OpsPerSec, appended[2].OpsPerSec);

        // The durable cases share the disk with everything else on the machine, whose speed drifts
        // by ±2× within a run: they run in alternating rounds and each reports its median.
        Measure.Progress($"log: {name}-flush, fasterlog, filestream-fsync, steady, recycled, fasterlog-steady (alternating)");
        using var steady = new SteadyLog(root, recycle: false);
        using var recycled = new SteadyLog(root, recycle: true);
        using var fasterSteady = new LogBaselines.SteadyFasterLog(root);
        var durable = BenchTiming.Alternating(
            [LogAppendFlush(root, payload, count), LogBaselines.FasterLogAppend(root, payload, count), LogBaselines.FileStreamFsync(root, payload, count),
             steady.Case(payload, count), recycled.Case(payload, count), fasterSteady.Case(payload, count)],
            count, warmupRounds: 1, rounds: 5);
        var (flushed, faster, fsync) = (durable[0], durable[1].OpsPerSec, durable[2].OpsPerSec);

        report.Ratio(Suite, name, ours.OpsPerSec, "filestream", fileStream, ours.AllocBytesPerOp);
        report.Ratio(Suite, name, ours.OpsPerSec, "fasterlog", faster, ours.AllocBytesPerOp);
        report.Ratio(Suite, name, ours.OpsPerSec, "memcpy", memcpy, ours.AllocBytesPerOp);
        report.Ratio(Suite, name + "-flush", flushed.OpsPerSec, "fasterlog", faster, flushed.AllocBytesPerOp);
        // The disk's ceiling in this run: the same payload bytes written and fdatasync'ed by a FileStream.
        report.Ratio(Suite, name + "-flush", flushed.OpsPerSec, "filestream-fsync", fsync, flushed.AllocBytesPerOp);
        report.Metric(Suite, name + "-flush", "disk_fsync_mb_per_s", fsync * size / 1e6, "MB/s");
        report.Metric(Suite, name + "-flush", "fasterlog_mb_per_s", faster * size / 1e6, "MB/s");
        report.Metric(Suite, name + "-flush", "durable_mb_per_s", flushed.OpsPerSec * size / 1e6, "MB/s");
        // The same in a long-running log (64 MiB segments rolled, retention, with and without recycling).
        report.Ratio(Suite, name + "-flush-steady", durable[3].OpsPerSec, "fasterlog", faster, durable[3].AllocBytesPerOp);
        report.Ratio(Suite, name + "-flush-recycled", durable[4].OpsPerSec, "fasterlog", faster, durable[4].AllocBytesPerOp);
        // Against FasterLog doing the same long-running work: kept open, 64 MiB segments, two kept.
        report.Ratio(Suite, name + "-flush-steady", durable[3].OpsPerSec, "fasterlog-steady", durable[5].OpsPerSec, durable[3].AllocBytesPerOp);
        report.Ratio(Suite, name + "-flush-recycled", durable[4].OpsPerSec, "fasterlog-steady", durable[5].OpsPerSec, durable[4].AllocBytesPerOp);
    }

    private static void ReadCase(QuickReport report, string root, int size, long count)
    {
        var payload = Payload(size);
        var name = $"read-{size}";
        Measure.Progress($"log: {name}");
        var dir = BenchTiming.NewDirectory(root);
        try
        {
            using var log = SegmentedLog.Open(dir, OptionsFor(size, count));
            for (var i = 0; i < count; i++) log.Append(payload, i);
            long sink = 0;
            var ours = BenchTiming.Median(
                () => log.OpenReader(0),
                reader =>
                {
                    while (reader.TryRead(out var record)) sink += record.Payload[^1];
                },
                reader => reader.Dispose(), count, warmups: 2, repeats: 5);
            GC.KeepAlive(sink);
            var fileStream = LogBaselines.FileStreamRead(root, payload, count, warmups: 1, repeats: 5);
            report.Ratio(Suite, name, ours.OpsPerSec, "filestream", fileStream, ours.AllocBytesPerOp);
            report.Metric(Suite, name, "payload_gb_per_s", ours.OpsPerSec * size / 1e9, "GB/s");
        }
        finally
        {
            BenchTiming.DeleteDirectory(dir);
        }
    }

    /// <summary>
    /// The frame checksum (CRC-32C: folded with carry-less multiplication from 128 bytes where the CPU
    /// can, else three lanes interleaved) against XxHash3 and against the plain
    /// sequential CRC-32C, over record-sized inputs.
    /// </summary>
    private static void ChecksumCases(QuickReport report)
    {
        foreach (var size in (ReadOnlySpan<int>)[32, 512])
        {
            var data = Payload(size);
            const long count = 2_000_000;
            uint sink = 0;
            ulong xxSink = 0;
            var frame = Measure.Median(() => { for (var i = 0; i < count; i++) sink += RecordFrame.AppendPayload(uint.MaxValue, data); }, count);
            var sequential = Measure.Median(() => { for (var i = 0; i < count; i++) sink += Crc32C.Compute(data); }, count);
            var xx = Measure.Median(() => { for (var i = 0; i < count; i++) xxSink += XxHash3.HashToUInt64(data); }, count);
            GC.KeepAlive(sink + xxSink);
            report.Ratio(Suite, $"checksum-{size}", frame.OpsPerSec, "xxhash3", xx.OpsPerSec, frame.AllocBytesPerOp);
            report.Ratio(Suite, $"checksum-{size}", frame.OpsPerSec, "crc32c-sequential", sequential.OpsPerSec, frame.AllocBytesPerOp);
        }
    }
}
