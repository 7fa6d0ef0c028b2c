using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

/// <summary>
/// Staged writes (<see cref="LogOptions.StagingBytes"/>): the writer frames records in a staging
/// buffer and writes it to the segment file in large writes. These tests check the promises that
/// must survive it: a committed record is readable at once (a reader writes staged bytes out
/// itself), an uncommitted one is not, a flush makes everything before it reach the file, a roll
/// and a record larger than the buffer lose nothing, and a crash image taken with bytes still
/// staged recovers a clean prefix holding at least every flushed record.
/// </summary>
public sealed class LogStagingTests
{
    private const int MaxLength = 300;

    private static LogOptions Options(int staging, long segmentBytes = 1 << 20) => new()
    {
        SegmentBytes = segmentBytes,
        StagingBytes = staging,
        PrepareNextSegment = false,
    };

    private static void Append(SegmentedLog log, long from, long to)
    {
        for (var o = from; o < to; o++) Assert.Equal(o, log.Append(LogTestData.Payload(o, MaxLength), LogTestData.TimeOf(o)));
    }

    /// <summary>The segment files of <paramref name="dir"/> copied as they are in the page cache now: what a killed process leaves.</summary>
    private static TempLogDirectory CrashImage(TempLogDirectory dir)
    {
        var image = new TempLogDirectory();
        foreach (var file in dir.SegmentFiles())
        {
            using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var target = File.Create(Path.Combine(image.Path, Path.GetFileName(file)));
            source.CopyTo(target);
        }
        return image;
    }

    private static bool FileHoldsNonZero(string path, long from, int length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[length];
        RandomAccess.Read(handle, bytes, from);
        return bytes.AsSpan().ContainsAnyExcept((byte)0);
    }

    [Fact]
    public void CommittedRecords_AreStaged_ThenReadable_AsSoonAsCommitted()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Options(64 * 1024));
        Append(log, 0, 20); // about 3 KB: well inside the staging buffer
        var segment = dir.SegmentFiles().Single();
        // Nothing went to the file yet (a fresh segment reads as zeros after its header): the records are staged.
        Assert.False(FileHoldsNonZero(segment, SegmentHeader.Length, 4096), "records reached the file before any spill, flush or read");
        Assert.Equal(20, log.EndOffset);
        // A reader sees them at once: it writes the staged bytes to the file itself.
        LogTestData.AssertReadsRange(log, 0, 20, MaxLength);
        Assert.True(FileHoldsNonZero(segment, SegmentHeader.Length, 4096), "the reader read records the file does not hold");
        // More records after the reader caught up are readable by the same kind of reader.
        Append(log, 20, 40);
        LogTestData.AssertReadsRange(log, 10, 40, MaxLength);
    }

    [Fact]
    public void CompletedButUncommitted_IsNotReadable_EvenAfterASpill()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Options(1024));
        using var reader = log.OpenReader(0);
        // Far more than the 1 KiB buffer: the writer spills completed records to the file before they are committed.
        for (long o = 0; o < 50; o++)
        {
            LogTestData.Fill(log.Reserve(LogTestData.LengthOf(o, MaxLength)), o);
            log.Complete(LogTestData.TimeOf(o));
        }
        Assert.Equal(0, log.EndOffset);
        Assert.False(reader.TryRead(out _), "a record was readable before its commit");
        Assert.Equal(50, log.Commit());
        for (long o = 0; o < 50; o++)
        {
            Assert.True(reader.TryRead(out var r), $"record {o} missing after the commit");
            Assert.True(LogTestData.Matches(r.Payload, o, MaxLength));
        }
    }

    [Fact]
    public async Task TailingReader_OnAnotherThread_GetsEveryRecord_WithATinyBuffer()
    {
        using var dir = new TempLogDirectory();
        const long count = 20_000;
        using var log = SegmentedLog.Open(dir.Path, Options(512, segmentBytes: 256 * 1024));
        var tail = Task.Run(() =>
        {
            using var reader = log.OpenReader(0);
            var deadline = Environment.TickCount64 + 60_000; // a reader that never sees a record spins: fail instead of hanging
            for (long o = 0; o < count;)
            {
                if (Environment.TickCount64 > deadline) return $"no progress at {o}";
                if (reader.TryRead(out var r))
                {
                    if (r.Offset != o || !LogTestData.Matches(r.Payload, o, MaxLength)) return $"record {o} wrong";
                    o++;
                }
                else if (!reader.WaitForData(TimeSpan.FromSeconds(30))) return $"timed out at {o}";
            }
            return null;
        });
        Append(log, 0, count);
        Assert.Null(await tail);
        Assert.True(log.SegmentCount > 4, "the test needs rolls");
    }

    [Fact]
    public async Task Flush_FromAnotherThread_PutsEveryRecordBeforeIt_InTheFile_AndACrashImageKeepsThem()
    {
        using var dir = new TempLogDirectory();
        var log = SegmentedLog.Open(dir.Path, Options(64 * 1024, segmentBytes: 64 * 1024));
        try
        {
            Append(log, 0, 700); // several rolls of 64 KiB segments, the tail staged
            var durable = await Task.Run(log.Flush);
            Assert.Equal(700, durable);
            Assert.Equal(700, log.DurableOffset);
            Append(log, 700, 720); // staged, never flushed nor read
            using var image = CrashImage(dir);
            using var recovered = SegmentedLog.Open(image.Path, Options(64 * 1024, segmentBytes: 64 * 1024));
            // Every flushed record survives (later ones only if a roll wrote them out).
            Assert.InRange(recovered.EndOffset, 700, 720);
            LogTestData.AssertReadsRange(recovered, 0, recovered.EndOffset, MaxLength);
        }
        finally
        {
            log.Dispose();
        }
        using var reopened = SegmentedLog.Open(dir.Path, Options(64 * 1024, segmentBytes: 64 * 1024));
        LogTestData.AssertReadsRange(reopened, 0, 720, MaxLength); // a clean close writes what was staged
    }

    [Fact]
    public void CrashImage_TakenWithBytesStaged_RecoversACleanPrefix()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Options(2048, segmentBytes: 32 * 1024));
        for (long o = 0; o < 600; o++)
        {
            log.Append(LogTestData.Payload(o, MaxLength), LogTestData.TimeOf(o));
            if (o % 97 != 0) continue;
            // A crash image at this point: the file holds the spilled prefix of the tail segment, maybe cut mid-record by the last spill's end.
            using var image = CrashImage(dir);
            using var recovered = SegmentedLog.Open(image.Path, Options(2048, segmentBytes: 32 * 1024));
            Assert.InRange(recovered.EndOffset, 0, o + 1);
            LogTestData.AssertReadsRange(recovered, recovered.StartOffset, recovered.EndOffset, MaxLength);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void RoundTrip_WithRolls_RecordsLargerThanTheBuffer_AndTruncation(int staging)
    {
        using var dir = new TempLogDirectory();
        var options = Options(staging, segmentBytes: 64 * 1024);
        var big = new byte[10_000]; // larger than the small buffers: stored through the mapping
        using (var log = SegmentedLog.Open(dir.Path, options))
        {
            for (long o = 0; o < 400; o++)
            {
                if (o % 50 == 7)
                {
                    LogTestData.Fill(big, o);
                    log.Append(big, LogTestData.TimeOf(o));
                }
                else log.Append(LogTestData.Payload(o, MaxLength), LogTestData.TimeOf(o));
            }
            using (var reader = log.OpenReader(0))
            {
                for (long o = 0; o < 400; o++)
                {
                    Assert.True(reader.TryRead(out var r), $"record {o} missing");
                    if (o % 50 == 7)
                    {
                        LogTestData.Fill(big, o);
                        Assert.True(r.Payload.SequenceEqual(big), $"big record {o} has wrong bytes");
                    }
                    else Assert.True(LogTestData.Matches(r.Payload, o, MaxLength), $"record {o} has wrong bytes");
                }
            }
            // A cut inside what was just written (staged or spilled), then new records at the cut.
            log.TruncateAfter(389);
            Assert.Equal(390, log.EndOffset);
            for (long o = 390; o < 420; o++) log.Append(LogTestData.Payload(o, MaxLength), LogTestData.TimeOf(o));
            Assert.Equal(420, log.Flush());
        }
        using var reopened = SegmentedLog.Open(dir.Path, options);
        Assert.Equal(0, reopened.Recovery.RecordsDropped);
        Assert.Equal(420, reopened.EndOffset);
        using var again = reopened.OpenReader(380);
        for (long o = 380; o < 420; o++)
        {
            Assert.True(again.TryRead(out var r));
            Assert.True(LogTestData.Matches(r.Payload, o, MaxLength), $"record {o} has wrong bytes after reopening");
        }
    }

    [Fact]
    public void StagingBytes_IsValidated()
    {
        using var dir = new TempLogDirectory();
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentedLog.Open(dir.Path, Options(100)));
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentedLog.Open(dir.Path, Options(4100)));
    }
}
