using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

/// <summary>
/// <see cref="LogScanReader"/> (replay's reader: pread()s into one buffer instead of the mapping)
/// returns exactly what <see cref="LogReader"/> returns, across segments and buffer refills, from
/// any offset, with and without the segments' index files; stops at the end it saw when opened;
/// and reports damaged bytes instead of returning them.
/// </summary>
public sealed class LogScanReaderTests
{
    private static LogOptions Small() => new()
    {
        SegmentBytes = 64 * 1024,
        PayloadFingerprint = 0x5CA4,
        IndexIntervalBytes = 256,
    };

    private static void AppendRange(SegmentedLog log, long from, long to, int maxLength)
    {
        for (var o = from; o < to; o++)
            Assert.Equal(o, log.Append(LogTestData.Payload(o, maxLength), LogTestData.TimeOf(o)));
    }

    private static void AssertScans(SegmentedLog log, long from, long to, int maxLength, int bufferBytes)
    {
        using var reader = new LogScanReader(log, from, bufferBytes);
        Assert.Equal(to, reader.EndOffset);
        for (var o = from; o < to; o++)
        {
            Assert.Equal(o, reader.NextOffset);
            Assert.True(reader.TryRead(out var record), $"record {o} missing (buffer {bufferBytes})");
            Assert.Equal(o, record.Offset);
            Assert.Equal(LogTestData.TimeOf(o), record.Timestamp);
            Assert.True(LogTestData.Matches(record.Payload, o, maxLength), $"record {o} has the wrong bytes (buffer {bufferBytes})");
        }
        Assert.False(reader.TryRead(out _));
        Assert.False(reader.TryRead(out _));
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(4096 + 8)]
    [InlineData(1 << 20)]
    public void ReadsEveryRecord_AcrossSegmentsAndRefills_FromAnyOffset(int bufferBytes)
    {
        using var dir = new TempLogDirectory();
        // Payloads up to 300 bytes: frames straddle every 4 KiB buffer boundary at some point.
        using (var log = SegmentedLog.Open(dir.Path, Small()))
        {
            AppendRange(log, 0, 3000, 300);
            Assert.True(log.SegmentCount > 3, $"expected several segments, got {log.SegmentCount}");
            AssertScans(log, 0, 3000, 300, bufferBytes);
            AssertScans(log, 1234, 3000, 300, bufferBytes);
        }
        // Reopened: the sealed segments are read from their index files' summaries (from a segment's
        // start) or with their index loaded (from inside one).
        foreach (var from in new long[] { 0, 1, 777, 2999, 3000 })
        {
            using var reopened = SegmentedLog.Open(dir.Path, Small());
            AssertScans(reopened, from, 3000, 300, bufferBytes);
            // And the log's own reader still agrees afterwards.
            using var reader = reopened.OpenReader(from);
            for (var o = from; o < 3000; o++) Assert.True(reader.TryRead(out var r) && r.Offset == o && LogTestData.Matches(r.Payload, o, 300));
        }
    }

    [Fact]
    public void WithoutIndexFiles_RebuildsAndReadsEverything()
    {
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Small())) AppendRange(log, 0, 2000, 200);
        var indexes = Directory.GetFiles(dir.Path, "*.idx");
        Assert.NotEmpty(indexes);
        foreach (var f in indexes) File.Delete(f);
        using var reopened = SegmentedLog.Open(dir.Path, Small());
        AssertScans(reopened, 0, 2000, 200, 4096);
    }

    [Fact]
    public void RecordLargerThanTheBuffer_IsRead()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        var big = new byte[10_000];
        LogTestData.Fill(big, 1);
        log.Append(LogTestData.Payload(0, 50), LogTestData.TimeOf(0));
        log.Append(big, LogTestData.TimeOf(1));
        log.Append(LogTestData.Payload(2, 50), LogTestData.TimeOf(2));
        using var reader = new LogScanReader(log, 0, 4096);
        Assert.True(reader.TryRead(out var r0) && LogTestData.Matches(r0.Payload, 0, 50));
        Assert.True(reader.TryRead(out var r1) && r1.Payload.SequenceEqual(big));
        Assert.True(reader.TryRead(out var r2) && LogTestData.Matches(r2.Payload, 2, 50));
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void StopsAtTheEndItSawWhenOpened()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        AppendRange(log, 0, 100, 40);
        using var reader = new LogScanReader(log, 0, 4096);
        AppendRange(log, 100, 150, 40);
        var n = 0;
        while (reader.TryRead(out _)) n++;
        Assert.Equal(100, n);
        Assert.Equal(100, reader.NextOffset);
    }

    [Fact]
    public void ReadAfterDispose_Throws()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        AppendRange(log, 0, 100, 40);
        var reader = new LogScanReader(log, 0, 4096);
        Assert.True(reader.TryRead(out _));
        reader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead(out _));
        reader.Dispose();
    }

    [Fact]
    public void OffsetOutsideTheLog_Throws()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        AppendRange(log, 0, 10, 40);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogScanReader(log, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogScanReader(log, -1));
        using var atEnd = new LogScanReader(log, 10);
        Assert.False(atEnd.TryRead(out _));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DamagedByte_InASealedSegment_IsReportedNotReturned(bool withIndexFiles)
    {
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Small())) AppendRange(log, 0, 3000, 300);
        if (!withIndexFiles)
            foreach (var f in Directory.GetFiles(dir.Path, "*.idx")) File.Delete(f);
        var victim = dir.SegmentFiles()[1];
        var bytes = File.ReadAllBytes(victim);
        var used = bytes.AsSpan().LastIndexOfAnyExcept((byte)0) + 1;
        var at = 64 + (used - 64) / 2;
        bytes[at] ^= 0x40;
        File.WriteAllBytes(victim, bytes);
        using var reopened = SegmentedLog.Open(dir.Path, Small());
        var e = Assert.Throws<LogCorruptionException>(() =>
        {
            // Without index files, opening the segment rebuilds its index by a checked walk, which finds the damage first.
            using var reader = new LogScanReader(reopened, 0, 4096);
            var o = 0L;
            while (reader.TryRead(out var record))
            {
                Assert.True(LogTestData.Matches(record.Payload, o, 300), $"record {o} returned damaged");
                o++;
            }
        });
        Assert.Equal(victim, e.FilePath);
    }
}
