using Kernel.Storage.Log;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Storage.Log;

/// <summary>
/// What a rolling log allocates. Appends inside a segment allocate nothing; a roll creates a file,
/// a mapping and a few small objects, but nothing the size of the segment: the sparse index of a
/// released segment is handed to a new one, and the index file is written through a stack buffer.
/// Everything runs on the writer's thread here (no background preparation), so the thread's
/// allocation counter sees the whole roll: file creation, index file, retention.
/// </summary>
public sealed class LogAllocationTests
{
    private const int Payload = 32;
    private const int IndexInterval = 64; // an entry every second record: the index and its file are as large as they get
    private const int RollsPerWindow = 4;

    private static LogOptions Options(long segmentBytes, int recycle) => new()
    {
        SegmentBytes = segmentBytes,
        IndexIntervalBytes = IndexInterval,
        RetentionBytes = 2 * segmentBytes,
        RecycleSegments = recycle,
        PrepareNextSegment = false,
        PreTouchPages = false,
        FlushPolicy = FlushPolicy.OnDemand,
    };

    /// <summary>Records that fill one segment exactly as many times as there are records of one size in it.</summary>
    private static long RecordsPerSegment(long segmentBytes) =>
        (segmentBytes - SegmentHeader.Length) / RecordFrame.AlignedLength(Payload);

    /// <summary>Bytes the writer's thread allocates per roll, in steady state (retention freeing one segment per roll).</summary>
    private static long BytesPerRoll(long segmentBytes, int recycle)
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Options(segmentBytes, recycle));
        log.RetentionFloor = long.MaxValue;
        var payload = new byte[Payload];
        var perSegment = RecordsPerSegment(segmentBytes);
        long t = 0;
        // Same-size records: appending k segments' worth crosses exactly k segment boundaries.
        void Rolls(int k)
        {
            for (long i = 0; i < k * perSegment; i++) log.Append(payload, t++);
        }
        Rolls(4); // warm-up: the pools of freed indexes (and spare files) fill here
        var endBefore = log.EndOffset;
        var bytes = Allocations.SteadyState(() => Rolls(RollsPerWindow));
        Assert.True(log.EndOffset > endBefore);
        Assert.Equal(2, log.SegmentCount); // retention kept two segments: every roll freed one
        return bytes / RollsPerWindow;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Roll_AllocatesNothingThatGrowsWithTheSegment(int recycle)
    {
        if (recycle > 0 && !OperatingSystem.IsLinux()) return; // recycling is Linux-only
        // Index capacities 4,098 and 16,386 entries (3 × 8 bytes each: 98 KiB and 393 KiB), index
        // files of 2,340 and 9,362 entries. Allocating either per roll would show as a difference
        // of about 300 KB between the two sizes; what is left is the fixed cost of opening,
        // mapping and naming one file.
        var small = BytesPerRoll(256 * 1024, recycle);
        var large = BytesPerRoll(1024 * 1024, recycle);
        // The bound sits far below that 300 KB (and below the smaller index's 98 KiB), but above the
        // 1-2 KB a window picks up under a parallel test run (seen in CI: 3.3 KB against 1.7 KB per
        // roll, never alone): the longer window of the larger segments is more likely to catch
        // other work on this thread (likely the runtime tiering the loop); not pinned down yet.
        Assert.True(Math.Abs(large - small) < 16 * 1024, $"per roll: {large} B with 1 MiB segments, {small} B with 256 KiB ones");
        Assert.True(large < 16 * 1024, $"a roll allocated {large} B");
    }

    [Fact]
    public void AReleasedSegmentsIndex_GoesToANewSegment_OnlyAfterItsLastReader_AndSeeksStayRight()
    {
        using var dir = new TempLogDirectory();
        const long segmentBytes = 16 * 1024;
        using var log = SegmentedLog.Open(dir.Path, Options(segmentBytes, recycle: 0));
        log.RetentionFloor = long.MaxValue;
        var perSegment = RecordsPerSegment(segmentBytes);
        var payload = new byte[Payload];

        void Append(long n)
        {
            for (long i = 0; i < n; i++)
            {
                var offset = log.EndOffset;
                BitConverter.TryWriteBytes(payload, offset);
                log.Append(payload, 1_000 + 3 * offset); // time: a function of the offset
            }
        }

        Append(perSegment / 2);
        var reader = log.OpenReader(0);
        var held = log.SegmentsSnapshot[0];
        var heldIndex = held.Index;

        // Five rolls: retention drops the held segment from the log, but its index stays its own.
        Append(5 * perSegment);
        Assert.True(log.StartOffset > 0, "retention dropped nothing");
        Assert.DoesNotContain(held, log.SegmentsSnapshot);
        Assert.DoesNotContain(log.SegmentsSnapshot, s => ReferenceEquals(s.Index, heldIndex));
        for (long expected = 0; expected < perSegment; expected++)
        {
            Assert.True(reader.TryRead(out var r));
            Assert.Equal(expected, r.Offset);
            Assert.Equal(expected, BitConverter.ToInt64(r.Payload));
        }

        // Released: a later segment gets it (the pool keeps a few; the log takes them in order).
        reader.Dispose();
        var reused = false;
        for (var roll = 0; roll < 6 && !reused; roll++)
        {
            Append(perSegment);
            reused = log.SegmentsSnapshot.Any(s => ReferenceEquals(s.Index, heldIndex));
        }
        Assert.True(reused, "the released segment's index was never reused");

        // Every kept record is found by offset and by time through the (reused) indexes.
        for (var offset = log.StartOffset; offset < log.EndOffset; offset += 7)
        {
            using var byOffset = log.OpenReader(offset);
            Assert.True(byOffset.TryRead(out var r));
            Assert.Equal(offset, r.Offset);
            Assert.Equal(offset, BitConverter.ToInt64(r.Payload));
            using var byTime = log.OpenReaderAtTime(1_000 + 3 * offset - 1);
            Assert.True(byTime.TryRead(out var t));
            Assert.Equal(offset, t.Offset);
        }
    }
}
