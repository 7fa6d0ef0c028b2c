using System.Runtime.InteropServices;
using FASTER.core;

namespace Kernel.Bench.Log;

/// <summary>
/// What a .NET user would write instead of our log, measured in the same run: a FileStream with a
/// 1 MiB buffer, FASTER's FasterLog (its Linux device, with a final commit), and a bare memory
/// copy of the same records into pre-touched memory (the physical limit).
/// </summary>
internal static class LogBaselines
{
    /// <summary>Appends <paramref name="count"/> payloads through a FileStream with a 1 MiB buffer (payload bytes only, no framing).</summary>
    public static TimedCase FileStreamAppend(string root, byte[] payload, long count) =>
        TimedCase.Of(
            "filestream",
            () => BenchTiming.NewDirectory(root),
            dir =>
            {
                using var fs = new FileStream(Path.Combine(dir, "data.bin"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
                for (var i = 0; i < count; i++) fs.Write(payload);
            },
            BenchTiming.DeleteDirectory);

    /// <summary>
    /// The disk's own ceiling for a durable append of the same bytes: <paramref name="count"/>
    /// payloads through a FileStream with a 1 MiB buffer, then one fdatasync (<c>Flush(true)</c>),
    /// timed together (payload bytes only, no framing).
    /// </summary>
    public static TimedCase FileStreamFsync(string root, byte[] payload, long count) =>
        TimedCase.Of(
            "filestream-fsync",
            () => BenchTiming.NewDirectory(root),
            dir =>
            {
                using var fs = new FileStream(Path.Combine(dir, "data.bin"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
                for (var i = 0; i < count; i++) fs.Write(payload);
                fs.Flush(flushToDisk: true);
            },
            BenchTiming.DeleteDirectory);

    /// <summary>Reads back <paramref name="count"/> records of <paramref name="payload"/> length through a FileStream with a 1 MiB buffer.</summary>
    public static double FileStreamRead(string root, byte[] payload, long count, int warmups, int repeats)
    {
        var dir = BenchTiming.NewDirectory(root);
        try
        {
            var path = Path.Combine(dir, "data.bin");
            using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                for (var i = 0; i < count; i++) fs.Write(payload);
            var buffer = new byte[payload.Length];
            long sink = 0;
            var rate = BenchTiming.Median(
                () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20),
                fs =>
                {
                    for (var i = 0; i < count; i++)
                    {
                        fs.ReadExactly(buffer);
                        sink += buffer[0];
                    }
                },
                fs => fs.Dispose(), count, warmups, repeats).OpsPerSec;
            GC.KeepAlive(sink);
            return rate;
        }
        finally
        {
            BenchTiming.DeleteDirectory(dir);
        }
    }

    /// <summary>
    /// Enqueues <paramref name="count"/> payloads into a FasterLog and commits (waiting for the
    /// commit) at the end. FasterLog in its fastest durable setup measured on this machine: its
    /// Linux device (O_DIRECT, write-through), 4 MiB pages and 64 MiB of log memory, so 16 pages can
    /// be in flight while it enqueues (the default 8 MiB allows two, and ran at 0.5–0.7× of this;
    /// 32 and 128 MiB, 2 and 8 MiB pages, and a preallocated file were not faster). Segment files
    /// of 1 GiB (the default) hold the whole run, as our single segment does.
    /// </summary>
    public static TimedCase FasterLogAppend(string root, byte[] payload, long count) =>
        TimedCase.Of(
            "fasterlog",
            () =>
            {
                var dir = BenchTiming.NewDirectory(root);
                var device = Devices.CreateLogDevice(Path.Combine(dir, "hlog.log"), preallocateFile: false, deleteOnClose: true);
                var settings = new FasterLogSettings { LogDevice = device, PageSizeBits = 22, MemorySizeBits = 26, LogCommitDir = dir };
                return (Dir: dir, Device: device, Settings: settings, Log: new FasterLog(settings));
            },
            s =>
            {
                for (var i = 0; i < count; i++) s.Log.Enqueue(payload);
                s.Log.Commit(spinWait: true);
            },
            s =>
            {
                s.Log.Dispose();
                s.Device.Dispose();
                s.Settings.Dispose();
                BenchTiming.DeleteDirectory(s.Dir);
            });

    /// <summary>
    /// FasterLog as a long-running log, the counterpart of our <c>-flush-steady</c> cases (the
    /// <c>fasterlog</c> baseline is a fresh log per run that never rolls: its 1 GiB segment holds
    /// the run). One FasterLog kept open over all rounds, set up as <see cref="FasterLogAppend"/>
    /// but with 64 MiB segment files, so it rolls as often as ours; each run enqueues, truncates the
    /// log to its last two segments (FasterLog deletes the files below after the commit, as our
    /// retention keeps two) and commits once.
    /// </summary>
    internal sealed class SteadyFasterLog(string root) : IDisposable
    {
        private const int SegmentBits = 26; // 64 MiB, our default segment
        private FasterLog? _log;
        private IDevice? _device;
        private FasterLogSettings? _settings;
        private string? _dir;

        private FasterLog Log
        {
            get
            {
                if (_log is null)
                {
                    _dir = BenchTiming.NewDirectory(root);
                    _device = Devices.CreateLogDevice(Path.Combine(_dir, "hlog.log"), preallocateFile: false, deleteOnClose: true);
                    _settings = new FasterLogSettings { LogDevice = _device, PageSizeBits = 22, MemorySizeBits = 26, SegmentSizeBits = SegmentBits, LogCommitDir = _dir };
                    _log = new FasterLog(_settings);
                }
                return _log;
            }
        }

        public TimedCase Case(byte[] payload, long count) =>
            TimedCase.Of(
                "fasterlog-steady",
                () => Log,
                log =>
                {
                    for (var i = 0; i < count; i++) log.Enqueue(payload);
                    var keepFrom = log.TailAddress - (2L << SegmentBits);
                    if (keepFrom > log.BeginAddress) log.TruncateUntilPageStart(keepFrom);
                    log.Commit(spinWait: true);
                },
                _ => { });

        public void Dispose()
        {
            _log?.Dispose();
            _device?.Dispose();
            _settings?.Dispose();
            if (_dir is not null) BenchTiming.DeleteDirectory(_dir);
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> payloads one after another into native memory whose pages
    /// were touched first, as the log's are (allocated and touched in the untimed setup).
    /// </summary>
    public static unsafe TimedCase MemoryCopy(byte[] payload, long count)
    {
        var bytes = (nuint)(payload.Length * count);
        if (bytes > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(count), "keep the memcpy baseline under 2 GiB");
        return TimedCase.Of(
            "memcpy",
            () =>
            {
                var memory = (byte*)NativeMemory.AlignedAlloc(bytes, 4096);
                new Span<byte>(memory, (int)bytes).Clear(); // touch every page first, as the log does
                return (nint)memory;
            },
            memory =>
            {
                var at = (byte*)memory;
                var n = payload.Length;
                for (var i = 0; i < count; i++, at += n) payload.AsSpan().CopyTo(new Span<byte>(at, n));
            },
            memory => NativeMemory.AlignedFree((void*)memory));
    }
}
