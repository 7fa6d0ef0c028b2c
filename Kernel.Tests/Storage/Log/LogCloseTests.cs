using System.Runtime.InteropServices;
using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

/// <summary>
/// Closing a log does not write its pages to the disk unless its flush policy asks for it: with
/// <see cref="FlushPolicy.None"/> the records stay in the page cache, dirty, for the OS to write
/// back in its own time. (The mapping's accessor used to msync the whole view on dispose, so
/// every close waited for the disk.) Linux only: the page cache's dirty count comes from the
/// <c>cachestat</c> system call (Linux 6.5).
/// </summary>
public sealed partial class LogCloseTests
{
    [Fact]
    public void Dispose_WithFlushPolicyNone_LeavesTheRecordsDirtyInThePageCache()
    {
        if (!OperatingSystem.IsLinux()) return; // the dirty count below is Linux's
        using var dir = new TempLogDirectory();
        var payload = new byte[512];
        new Random(7).NextBytes(payload);
        const int records = 8_192; // 4 MiB and more of frames
        var options = new LogOptions { SegmentBytes = 16 << 20, FlushPolicy = FlushPolicy.None };

        var log = SegmentedLog.Open(dir.Path, options);
        for (var i = 0; i < records; i++) log.Append(payload, timestamp: i);
        var segment = dir.SegmentFiles()[0]; // the records' segment (a prepared next one may follow it)
        var before = DirtyPages(segment);
        log.Dispose();
        var after = DirtyPages(segment);

        // The OS's own writeback may clean some pages meanwhile (it starts after 30 s or under
        // memory pressure), but a close that synced would leave none: msync waits for every page.
        Assert.True(before > 0, $"{segment}: no dirty pages right after {records} unflushed appends (before the close)");
        Assert.True(after > 0, $"{segment}: {before} dirty pages before the close, none after: the close wrote them to the disk");
    }

    /// <summary>Pages of <paramref name="path"/> in the page cache that are dirty or being written back.</summary>
    private static long DirtyPages(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var range = new CacheStatRange(); // offset 0, length 0: the whole file
        var stat = new CacheStat();
        if (CacheStatCall(CacheStatNumber, (int)file.DangerousGetHandle(), ref range, ref stat, 0) != 0)
            Assert.Fail($"{path}: cachestat failed with errno {Marshal.GetLastPInvokeError()}");
        return (long)(stat.Dirty + stat.Writeback);
    }

    private const long CacheStatNumber = 451; // cachestat on x86-64 and arm64 (the generic table)

    [StructLayout(LayoutKind.Sequential)]
    private struct CacheStatRange
    {
        public ulong Offset;
        public ulong Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CacheStat
    {
        public ulong Cache;
        public ulong Dirty;
        public ulong Writeback;
        public ulong Evicted;
        public ulong RecentlyEvicted;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long CacheStatCall(long number, int fd, ref CacheStatRange range, ref CacheStat stat, uint flags);
}
