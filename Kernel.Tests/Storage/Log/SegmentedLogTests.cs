using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

public sealed class SegmentedLogTests
{
    private static LogOptions Small(ulong fingerprint = 0x1234) => new()
    {
        SegmentBytes = 64 * 1024,
        PayloadFingerprint = fingerprint,
        IndexIntervalBytes = 256,
    };

    private static void AppendRange(SegmentedLog log, long from, long to, int maxLength)
    {
        for (var o = from; o < to; o++)
            Assert.Equal(o, log.Append(LogTestData.Payload(o, maxLength), LogTestData.TimeOf(o)));
    }

    [Fact]
    public void Append_ThenRead_RoundTripsAcrossSegments()
    {
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Small()))
        {
            AppendRange(log, 0, 3000, 300);
            Assert.True(log.SegmentCount > 3, $"expected several segments, got {log.SegmentCount}");
            Assert.Equal(3000, log.EndOffset);
            LogTestData.AssertReadsRange(log, 0, 3000, 300);
        }
        using (var reopened = SegmentedLog.Open(dir.Path, Small()))
        {
            Assert.False(reopened.Recovery.Repaired);
            Assert.Equal(3000, reopened.EndOffset);
            LogTestData.AssertReadsRange(reopened, 0, 3000, 300);
            AppendRange(reopened, 3000, 3100, 300);
            LogTestData.AssertReadsRange(reopened, 2990, 3100, 300);
        }
    }

    [Fact]
    public void AppendBatch_AssignsDenseOffsets_AndEmptyPayloadsWork()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        byte[] payloads = [1, 2, 3, 4, 5, 6];
        int[] lengths = [0, 1, 2, 3, 0];
        long[] times = [10, 20, 30, 40, 50];
        Assert.Equal(0, log.AppendBatch(payloads, lengths, times));
        Assert.Equal(5, log.AppendBatch(payloads, lengths, times));
        Assert.Equal(10, log.EndOffset);
        using var reader = log.OpenReader(5);
        var at = 0;
        for (var i = 0; i < 5; i++)
        {
            Assert.True(reader.TryRead(out var r));
            Assert.Equal(5 + i, r.Offset);
            Assert.Equal(times[i], r.Timestamp);
            Assert.Equal(payloads.AsSpan(at, lengths[i]).ToArray(), r.Payload.ToArray());
            at += lengths[i];
        }
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void Reserve_UncommittedRecords_AreInvisibleUntilCommit()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        log.Reserve(4).Fill(9);
        Assert.Equal(0, log.Complete(77));
        using var reader = log.OpenReader(0);
        Assert.False(reader.TryRead(out _));
        Assert.Equal(0, log.EndOffset);
        Assert.Equal(1, log.Commit());
        Assert.True(reader.TryRead(out var r));
        Assert.Equal(new byte[] { 9, 9, 9, 9 }, r.Payload.ToArray());
    }

    [Fact]
    public void Seek_EveryOffset_StartsThere()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        AppendRange(log, 0, 1500, 200);
        for (var o = 0; o <= 1500; o += 37)
        {
            using var reader = log.OpenReader(o);
            Assert.Equal(o, reader.NextOffset);
            if (o < 1500)
            {
                Assert.True(reader.TryRead(out var r));
                Assert.Equal(o, r.Offset);
                Assert.True(LogTestData.Matches(r.Payload, o, 200));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => log.OpenReader(1501));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.OpenReader(-1));
    }

    [Fact]
    public void SeekTime_FindsFirstRecordAtOrAfterTime_WithUnorderedTimes()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        var rng = new Random(11);
        var times = new long[2000];
        for (var i = 0; i < times.Length; i++)
        {
            times[i] = i * 5 + rng.Next(-40, 40); // mostly increasing, locally out of order
            log.Append(LogTestData.Payload(i, 100), times[i]);
        }
        for (var t = -100L; t < 10_100; t += 13)
        {
            var expected = Array.FindIndex(times, x => x >= t);
            using var reader = log.OpenReaderAtTime(t);
            if (expected < 0)
            {
                Assert.Equal(log.EndOffset, reader.NextOffset);
                continue;
            }
            Assert.True(reader.TryRead(out var r), $"seed 11, time {t}: no record");
            Assert.Equal(expected, r.Offset);
            Assert.Equal(times[expected], r.Timestamp);
        }
    }

    [Fact]
    public void Open_OtherFingerprint_FailsNamingTheFile()
    {
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Small(1))) log.Append([1], 1);
        var e = Assert.Throws<LogFormatException>(() => SegmentedLog.Open(dir.Path, Small(2)));
        Assert.Contains("0000000000.seg", e.Message, StringComparison.Ordinal);
        Assert.Contains("fingerprint", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_OtherFormatVersion_FailsClearly()
    {
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Small())) log.Append([1], 1);
        var path = dir.SegmentFiles()[0];
        using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 4;
            f.Write([2, 0]);
        }
        var e = Assert.Throws<LogFormatException>(() => SegmentedLog.Open(dir.Path, Small()));
        Assert.Contains("version 2", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NotALogFile_FailsOnMagic()
    {
        using var dir = new TempLogDirectory();
        File.WriteAllBytes(Path.Combine(dir.Path, "0000000000.seg"), new byte[8192].Select((_, i) => (byte)(i + 1)).ToArray());
        var e = Assert.Throws<LogFormatException>(() => SegmentedLog.Open(dir.Path, Small()));
        Assert.Contains("magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_SameDirectoryTwice_FailsUntilClosed()
    {
        using var dir = new TempLogDirectory();
        using (var first = SegmentedLog.Open(dir.Path, Small()))
        {
            var e = Assert.Throws<IOException>(() => SegmentedLog.Open(dir.Path, Small()));
            Assert.Contains("already open", e.Message, StringComparison.Ordinal);
        }
        using var again = SegmentedLog.Open(dir.Path, Small());
        Assert.Equal(0, again.EndOffset);
    }

    [Fact]
    public void Append_PayloadLargerThanSegment_Throws()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Small());
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(new byte[log.MaxPayloadLength + 1], 0));
        log.Append(new byte[log.MaxPayloadLength], 0);
        log.Append(new byte[log.MaxPayloadLength], 0);
        Assert.Equal(2, log.EndOffset);
        Assert.Equal(2, log.SegmentCount);
    }

    [Fact]
    public void Flush_AdvancesDurableOffset_PerPolicy()
    {
        using var dir = new TempLogDirectory();
        using (var onDemand = SegmentedLog.Open(Path.Combine(dir.Path, "a"), Small()))
        {
            AppendRange(onDemand, 0, 10, 50);
            Assert.Equal(0, onDemand.DurableOffset);
            Assert.Equal(10, onDemand.Flush());
            Assert.Equal(10, onDemand.DurableOffset);
        }
        using (var every = SegmentedLog.Open(Path.Combine(dir.Path, "b"), new LogOptions { SegmentBytes = 64 * 1024, FlushPolicy = FlushPolicy.EveryAppend }))
        {
            every.Append([1, 2, 3], 1);
            Assert.Equal(1, every.DurableOffset);
        }
        using (var interval = SegmentedLog.Open(Path.Combine(dir.Path, "c"), new LogOptions { SegmentBytes = 64 * 1024, FlushPolicy = FlushPolicy.Interval, FlushInterval = TimeSpan.FromMilliseconds(1) }))
        {
            interval.Append([1, 2, 3], 1);
            SpinWait.SpinUntil(() => interval.DurableOffset == 1, TimeSpan.FromSeconds(60)); // a 1 ms interval flush; long only for a starved machine
            Assert.Equal(1, interval.DurableOffset);
        }
    }
}
