using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

public sealed class LogRetentionTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static void Fill(SegmentedLog log, long count)
    {
        var payload = new byte[400];
        for (var i = 0; i < count; i++) log.Append(payload, i);
    }

    [Fact]
    public void Retention_BySize_DeletesOldestWholeSegments_AboveFloorOnly()
    {
        using var dir = new TempLogDirectory();
        var options = new LogOptions { SegmentBytes = 16 * 1024, RetentionBytes = 3 * 16 * 1024 };
        using var log = SegmentedLog.Open(dir.Path, options);
        Fill(log, 400); // about 10 segments
        Assert.True(log.SegmentCount > 5, $"segments: {log.SegmentCount}");
        Assert.Equal(0, log.StartOffset); // floor 0: nothing may go

        log.RetentionFloor = 150;
        log.ApplyRetention();
        // Every kept segment's successor starts above the floor, or the log is within its size.
        Assert.True(log.StartOffset <= 150, $"start {log.StartOffset} passed the floor");
        Assert.True(log.StartOffset > 0, "nothing was deleted");
        using (var r = log.OpenReader(150))
        {
            Assert.True(r.TryRead(out var rec));
            Assert.Equal(150, rec.Offset);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => log.OpenReader(log.StartOffset - 1));

        log.RetentionFloor = long.MaxValue;
        log.ApplyRetention();
        Assert.Equal(3, log.SegmentCount);
        var files = dir.SegmentFiles().Length; // the 3 kept, and the next one when it is already prepared
        Assert.True(files is 3 or 4, $"{files} segment files on disk");
    }

    [Fact]
    public void Retention_ByAge_DeletesSegmentsSealedTooLongAgo()
    {
        using var dir = new TempLogDirectory();
        var clock = new ManualClock();
        var options = new LogOptions { SegmentBytes = 16 * 1024, RetentionAge = TimeSpan.FromHours(1), Clock = clock };
        using var log = SegmentedLog.Open(dir.Path, options);
        log.RetentionFloor = long.MaxValue;
        Fill(log, 100); // a few segments, sealed "now"
        var before = log.SegmentCount;
        clock.Now += TimeSpan.FromMinutes(30);
        Assert.Equal(0, log.ApplyRetention());
        clock.Now += TimeSpan.FromMinutes(31);
        Assert.Equal(before - 1, log.ApplyRetention()); // all sealed ones; the active one stays
        Assert.Equal(1, log.SegmentCount);
    }

    [Fact]
    public void Retention_ByAge_CountsFromWhenTheSegmentWasSealed_NotCreated_AlsoAfterAReopen()
    {
        // docs/formats/log.md: a segment counts as sealed when the next one was created. Counting from its own creation
        // would delete a segment that filled slowly too early (session 24's audit).
        using var dir = new TempLogDirectory();
        var clock = new ManualClock();
        var options = new LogOptions { SegmentBytes = 16 * 1024, RetentionAge = TimeSpan.FromHours(1), Clock = clock, PrepareNextSegment = false };
        var log = SegmentedLog.Open(dir.Path, options);
        try
        {
            log.RetentionFloor = long.MaxValue;
            Fill(log, 10);                                 // segment 0 created at t0
            clock.Now += TimeSpan.FromMinutes(50);
            Fill(log, 60);                                 // it fills and is sealed at t0 + 50 min
            Assert.Equal(2, log.SegmentCount);
            clock.Now += TimeSpan.FromMinutes(20);         // t0 + 70: created 70 min ago, sealed 20
            Assert.Equal(0, log.ApplyRetention());
            log.Dispose();
            log = SegmentedLog.Open(dir.Path, options);    // the sealed time is read back from the next segment
            log.RetentionFloor = long.MaxValue;
            Assert.Equal(0, log.ApplyRetention());
            clock.Now += TimeSpan.FromMinutes(41);         // sealed 61 min ago
            Assert.Equal(1, log.ApplyRetention());
            Assert.Equal(1, log.SegmentCount);
        }
        finally
        {
            log.Dispose();
        }
    }

    [Fact]
    public void Retention_ReaderInsideDeletedSegment_FinishesIt()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 16 * 1024, RetentionBytes = 1 });
        log.RetentionFloor = 0;
        Fill(log, 200);
        using var reader = log.OpenReader(0);
        Assert.True(reader.TryRead(out _));
        log.RetentionFloor = long.MaxValue;
        Assert.True(log.ApplyRetention() > 0);
        // The reader keeps its mapping of the deleted segment and reads it to the end.
        var n = 1;
        while (reader.TryRead(out var r) && r.Offset < log.StartOffset) n++;
        Assert.True(n > 1);
    }

    [Fact]
    public void TruncateAfter_DropsLaterRecords_AndAppendsContinueFromThere()
    {
        using var dir = new TempLogDirectory();
        var options = new LogOptions { SegmentBytes = 16 * 1024, IndexIntervalBytes = 512 };
        using (var log = SegmentedLog.Open(dir.Path, options))
        {
            Fill(log, 300);
            var segmentsBefore = log.SegmentCount;
            log.TruncateAfter(99);
            Assert.Equal(100, log.EndOffset);
            Assert.True(log.SegmentCount < segmentsBefore);
            using (var r = log.OpenReader(98))
            {
                Assert.True(r.TryRead(out var a));
                Assert.Equal(98, a.Offset);
                Assert.True(r.TryRead(out var b));
                Assert.Equal(99, b.Offset);
                Assert.False(r.TryRead(out _));
            }
            Assert.Equal(100, log.Append([42], 7));
            log.Flush();
        }
        using (var reopened = SegmentedLog.Open(dir.Path, options))
        {
            Assert.False(reopened.Recovery.Repaired, "truncation left garbage: " + reopened.Recovery);
            Assert.Equal(101, reopened.EndOffset);
            using var r = reopened.OpenReader(100);
            Assert.True(r.TryRead(out var c));
            Assert.Equal(new byte[] { 42 }, c.Payload.ToArray());
            Assert.Equal(7, c.Timestamp);
        }
    }

    [Fact]
    public void TruncateAfter_EverythingThenRefill_Works()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 16 * 1024 });
        Fill(log, 100);
        log.TruncateAfter(-1);
        Assert.Equal(0, log.EndOffset);
        Fill(log, 3);
        using var r = log.OpenReader(0);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(r.TryRead(out var rec));
            Assert.Equal(i, rec.Timestamp);
        }
        Assert.False(r.TryRead(out _));
    }
}
