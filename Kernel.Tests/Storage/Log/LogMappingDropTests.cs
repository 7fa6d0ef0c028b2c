using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

/// <summary>
/// Write-behind and flushes drop the mapping's page-table entries of written pages before the
/// disk write (so writeback need not write-protect them one TLB shootdown at a time). Dropping an
/// entry must never drop a byte: these tests write through the mapping, drop and write back, and
/// read both the mapping and the file.
/// </summary>
public sealed class LogMappingDropTests
{
    private const int Length = 8 << 20;

    private static byte ByteAt(long position, int round) => (byte)((position * 31) ^ (position >> 13) ^ (round * 77));

    private static void Fill(MappedRegion region, long from, long to, int round)
    {
        for (var p = from; p < to; p++) region.Span(p, 1)[0] = ByteAt(p, round);
    }

    private static void AssertBytes(ReadOnlySpan<byte> actual, long from, long to, int round, string what)
    {
        for (var p = from; p < to; p++)
            if (actual[(int)p] != ByteAt(p, round)) Assert.Fail($"{what}: byte {p} is {actual[(int)p]}, expected {ByteAt(p, round)}");
    }

    /// <summary>
    /// Bytes written before a drop (whole pages, 2 MiB blocks, and a page the range ends inside,
    /// which is written again after the drop) are all in the mapping afterwards and in the file
    /// after the flush; the same with the drop refused by the OS.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DroppedPages_KeepEveryByte_InMappingAndFile(bool dropAccepted)
    {
        using var dir = new TempLogDirectory();
        var path = Path.Combine(dir.Path, "region.bin");
        var savedAdvice = MappedRegion.DropAdvice;
        try
        {
            if (!dropAccepted) MappedRegion.DropAdvice = 12345; // no such advice: EINVAL
            var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
            stream.SetLength(Length);
            using (var region = new MappedRegion(stream, Length))
            {
                region.TouchShared(0, Length);
                const long mid = (3L << 20) + 1234; // inside a page, inside a 2 MiB block
                Fill(region, 0, mid, round: 1);
                region.StartWriteBack(0, mid);       // drops [0, 3 MiB + 4096·n) and starts the write
                Fill(region, mid, 5L << 20, round: 1); // the page holding mid again, and on
                region.Flush(0, 5L << 20);
                Fill(region, 5L << 20, Length, round: 1);
                region.Flush(5L << 20, Length);
                Fill(region, 4096, 8192, round: 2);  // a dropped, written-back page written again
                region.Flush(0, Length);
                var mapped = region.Span(0, Length).ToArray();
                AssertBytes(mapped, 0, 4096, 1, "mapping");
                AssertBytes(mapped, 4096, 8192, 2, "mapping");
                AssertBytes(mapped, 8192, Length, 1, "mapping");
            }
            var file = File.ReadAllBytes(path);
            AssertBytes(file, 0, 4096, 1, "file");
            AssertBytes(file, 4096, 8192, 2, "file");
            AssertBytes(file, 8192, Length, 1, "file");
        }
        finally
        {
            MappedRegion.DropAdvice = savedAdvice;
            MappedRegion.DropMappingsEnabled = true;
        }
    }

    /// <summary>
    /// Write-behind hints the OS rejects (EINVAL from sync_file_range and madvise) change nothing
    /// but speed: records round-trip across rolls, a flush and a reopen, and the durable offset
    /// moves only at the flush.
    /// </summary>
    [Fact]
    public void RejectedWriteBehindHints_DegradeGracefully()
    {
        using var dir = new TempLogDirectory();
        const int maxLength = 300;
        const long count = 3000;
        var options = new LogOptions
        {
            SegmentBytes = 64 * 1024,
            FlushPolicy = FlushPolicy.OnDemand,
            PrepareNextSegment = false,
            WriteBehindBytes = 4096,
            StagingBytes = 0, // drops are for the writer's stores into the mapping; staged writes have none to drop
        };
        var (savedAdvice, savedFlags) = (MappedRegion.DropAdvice, MappedRegion.WriteBackFlags);
        try
        {
            MappedRegion.DropAdvice = 12345;     // no such advice: EINVAL
            MappedRegion.WriteBackFlags = 0x100; // no such flag: EINVAL
            using (var log = SegmentedLog.Open(dir.Path, options))
            {
                for (long o = 0; o < count; o++) log.Append(LogTestData.Payload(o, maxLength), LogTestData.TimeOf(o));
                Assert.Equal(0, log.DurableOffset);
                Assert.True(log.SegmentCount > 4, "the test needs segment rolls");
                if (OperatingSystem.IsLinux()) Assert.False(MappedRegion.DropMappingsEnabled, "the rejected drop was tried and given up");
                Assert.Equal(count, log.Flush());
            }
        }
        finally
        {
            (MappedRegion.DropAdvice, MappedRegion.WriteBackFlags) = (savedAdvice, savedFlags);
            MappedRegion.DropMappingsEnabled = true;
        }
        using var reopened = SegmentedLog.Open(dir.Path, options);
        using var reader = reopened.OpenReader(0);
        for (long o = 0; o < count; o++)
        {
            Assert.True(reader.TryRead(out var r), $"record {o} missing");
            Assert.True(LogTestData.Matches(r.Payload, o, maxLength), $"record {o} has wrong bytes");
        }
        Assert.False(reader.TryRead(out _));
    }
}
