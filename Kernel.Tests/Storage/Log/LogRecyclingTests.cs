using Kernel.Storage.Log;
using Kernel.Tests.Host.Log;

namespace Kernel.Tests.Storage.Log;

/// <summary>
/// Segment recycling (<see cref="LogOptions.RecycleSegments"/>): files retention frees are kept as
/// spares and reused for new segments. Records are checked against <see cref="LogAppendScenario"/>'s
/// model (each record's bytes, length and time are a function of its offset).
/// </summary>
public sealed class LogRecyclingTests
{
    private const long SegmentBytes = 16 * 1024;

    private static LogOptions Options(int recycle, bool prepare = false, FlushPolicy policy = FlushPolicy.OnDemand) => new()
    {
        SegmentBytes = SegmentBytes,
        RetentionBytes = 3 * SegmentBytes,
        RecycleSegments = recycle,
        PrepareNextSegment = prepare,
        FlushPolicy = policy,
    };

    private static void AppendModel(SegmentedLog log, long count)
    {
        var buffer = new byte[LogAppendScenario.MaxPayload];
        for (var i = 0; i < count; i++)
        {
            var offset = log.EndOffset;
            var payload = buffer.AsSpan(0, LogAppendScenario.LengthOf(offset));
            LogAppendScenario.Fill(payload, offset);
            Assert.Equal(offset, log.Append(payload, LogAppendScenario.TimeOf(offset)));
        }
    }

    /// <summary>Reads [from, end) and checks every record against the model; returns how many.</summary>
    private static long CheckModel(LogReader reader, long from, long end)
    {
        var want = new byte[LogAppendScenario.MaxPayload];
        var expected = from;
        while (expected < end && reader.TryRead(out var r))
        {
            Assert.Equal(expected, r.Offset);
            var w = want.AsSpan(0, LogAppendScenario.LengthOf(expected));
            LogAppendScenario.Fill(w, expected);
            Assert.True(r.Payload.SequenceEqual(w), $"record {expected} has the wrong bytes");
            Assert.Equal(LogAppendScenario.TimeOf(expected), r.Timestamp);
            expected++;
        }
        return expected - from;
    }

    private static long CheckAll(SegmentedLog log)
    {
        using var reader = log.OpenReader(log.StartOffset);
        var n = CheckModel(reader, log.StartOffset, log.EndOffset);
        Assert.Equal(log.EndOffset - log.StartOffset, n);
        return n;
    }

    private static string[] Spares(TempLogDirectory dir) =>
        Directory.GetFiles(dir.Path, "*.spare").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Recycling_ReusesFreedFiles_KeepsThePoolBounded_AndEveryRecordReadsBack()
    {
        if (!OperatingSystem.IsLinux()) return; // recycling is Linux-only; elsewhere freed files are deleted (the retention tests)
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Options(recycle: 2)))
        {
            AppendModel(log, 2_000); // ~240 KiB: 15 segments, all kept while the floor is 0
            log.RetentionFloor = long.MaxValue;
            Assert.True(log.ApplyRetention() > 3);
            Assert.Equal(2, Spares(dir).Length); // the pool's size; the other freed files were deleted
            Assert.InRange(dir.SegmentFiles().Length, 3, 4);
            CheckAll(log);

            // A roll takes the oldest spare (its name goes) and retention frees a segment into the pool
            // (a new, higher name). Without reuse the pool stays full and the freed file is deleted.
            var before = Spares(dir);
            for (var i = 0; i < 1_000 && Spares(dir).SequenceEqual(before); i++) AppendModel(log, 1);
            var after = Spares(dir);
            Assert.DoesNotContain(before[0], after);
            Assert.Equal(2, after.Length);
            Assert.True(string.CompareOrdinal(after[^1], before[^1]) > 0, $"{string.Join(",", before)} -> {string.Join(",", after)}");
            CheckAll(log);
        }

        // A recycled tail reads as a fresh one: nothing after the last record is mistaken for a torn record.
        using (var log = SegmentedLog.Open(dir.Path, Options(recycle: 2)))
        {
            Assert.False(log.Recovery.Repaired, log.Recovery.ToString());
            Assert.Equal(2, Spares(dir).Length); // adopted, not deleted
            CheckAll(log);
            log.RetentionFloor = long.MaxValue;
            AppendModel(log, 500);
            CheckAll(log);
        }
    }

    /// <summary>
    /// Fault injection: a recycled file keeps its older records after the new tail (only its header
    /// is blanked). A crash image taken while the writer is a few records into a recycled segment
    /// (the files copied as a killed process leaves them, index files left out so every sealed
    /// segment is walked too) must recover exactly the appended records: the stale frame right after
    /// the tail, whose checksum is valid for the older offset it was written at, is rejected, and so
    /// is everything after it.
    /// </summary>
    [Fact]
    public void Recycling_CrashInARecycledSegment_StaleRecordsAfterTheTailAreNeverRead()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempLogDirectory();
        using var image = new TempLogDirectory();
        var options = Options(recycle: 2);
        // Fixed-size records, so the older segment's frames line up with the new one's and the bytes
        // right after the tail are a whole stale frame.
        const int size = 100;
        const long frame = 120; // 16-byte header + 100 bytes + 4 of padding
        var payload = new byte[size];
        long end;
        using (var log = SegmentedLog.Open(dir.Path, options))
        {
            log.RetentionFloor = long.MaxValue;
            AppendFixed(log, 2_000); // ~240 KiB through 16 KiB segments, three kept: spares are reused
            var active = log.SegmentsSnapshot[^1];
            while (ReferenceEquals(log.SegmentsSnapshot[^1], active)) AppendFixed(log, 1);
            AppendFixed(log, 4);
            var tail = log.SegmentsSnapshot[^1];
            Assert.True(tail.Recycled, "the active segment was made from a spare");
            log.Flush();
            end = log.EndOffset;

            // The precondition: after the tail lies a frame valid for an older offset (and only for it).
            var at = tail.PublishedLength;
            var stale = -1L;
            for (var o = 0L; o < tail.BaseOffset; o++)
                if (RecordFrame.Validate(tail.Region, at, tail.Region.Length, o, out _) > 0) stale = o;
            Assert.True(stale >= 0, "a stale frame with a valid checksum follows the tail");
            Assert.True(RecordFrame.Validate(tail.Region, at, tail.Region.Length, end, out _) < 0);

            foreach (var path in Directory.GetFiles(dir.Path))
            {
                var name = Path.GetFileName(path);
                if (name.EndsWith(".seg", StringComparison.Ordinal) || name.EndsWith(".spare", StringComparison.Ordinal))
                    File.Copy(path, Path.Combine(image.Path, name));
            }
        }

        using (var log = SegmentedLog.Open(image.Path, options))
        {
            Assert.Equal(end, log.EndOffset);
            Assert.True(log.Recovery.Repaired, log.Recovery.ToString());
            Assert.Equal(1, log.Recovery.RecordsDropped);
            Assert.Equal(frame, log.Recovery.BytesDropped);
            CheckFixed(log, end);
            // Writing on: more rolls through recycled files, then a clean close reads back clean.
            log.RetentionFloor = long.MaxValue;
            AppendFixed(log, 700);
            end = log.EndOffset;
            CheckFixed(log, end);
        }
        using (var log = SegmentedLog.Open(image.Path, options))
        {
            Assert.False(log.Recovery.Repaired, log.Recovery.ToString());
            Assert.Equal(end, log.EndOffset);
            CheckFixed(log, end);
        }

        void AppendFixed(SegmentedLog log, int n)
        {
            for (var i = 0; i < n; i++)
            {
                var offset = log.EndOffset;
                payload.AsSpan().Fill((byte)(offset * 31 + 7));
                BitConverter.TryWriteBytes(payload, offset);
                log.Append(payload, offset);
            }
        }

        static void CheckFixed(SegmentedLog log, long end)
        {
            using var reader = log.OpenReader(log.StartOffset);
            var expected = log.StartOffset;
            var want = new byte[size];
            while (reader.TryRead(out var r))
            {
                Assert.Equal(expected, r.Offset);
                want.AsSpan().Fill((byte)(expected * 31 + 7));
                BitConverter.TryWriteBytes(want, expected);
                Assert.True(r.Payload.SequenceEqual(want), $"record {expected} has the wrong bytes");
                Assert.Equal(expected, r.Timestamp);
                expected++;
            }
            Assert.Equal(end, expected);
        }
    }

    [Fact]
    public void Recycling_TruncationInsideARecycledSegment_ThenAppend_ReadsBackTheModel()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempLogDirectory();
        long end;
        using (var log = SegmentedLog.Open(dir.Path, Options(recycle: 2, prepare: true)))
        {
            log.RetentionFloor = long.MaxValue;
            AppendModel(log, 2_000);
            var cut = log.EndOffset - 37; // inside the active segment, which was made from a spare
            log.TruncateAfter(cut);
            Assert.Equal(cut + 1, log.EndOffset);
            CheckAll(log);
            AppendModel(log, 700);
            CheckAll(log);
            log.Flush();
            end = log.EndOffset;
        }
        using (var log = SegmentedLog.Open(dir.Path, Options(recycle: 2)))
        {
            Assert.False(log.Recovery.Repaired, log.Recovery.ToString());
            Assert.Equal(end, log.EndOffset);
            CheckAll(log);
        }
    }

    [Fact]
    public void Recycling_ReaderInsideARetiredSegment_ReadsItIntactWhileTheLogMovesOn()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Options(recycle: 1));
        log.RetentionFloor = long.MaxValue;
        AppendModel(log, 200);
        var start = log.StartOffset;
        using var reader = log.OpenReader(start);
        Assert.Equal(1, CheckModel(reader, start, start + 1));
        // Many rolls: the reader's segment is retired, and the pool recycles other files meanwhile.
        AppendModel(log, 3_000);
        Assert.True(log.StartOffset > start + 200, $"start {log.StartOffset}");
        // The reader's mapping is never zeroed or reused under it: the rest of its segment (over 100
        // records of ~120 bytes in 16 KiB) matches the model.
        Assert.Equal(50, CheckModel(reader, start + 1, start + 51));
        Assert.True(Spares(dir).Length <= 1);
    }

    [Fact]
    public void Recycling_SparesBeyondThePoolOrOfAnotherSize_AreDeletedOnOpen()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Options(recycle: 3)))
        {
            AppendModel(log, 2_000);
            log.RetentionFloor = long.MaxValue;
            log.ApplyRetention();
        }
        Assert.Equal(3, Spares(dir).Length);
        using (SegmentedLog.Open(dir.Path, Options(recycle: 1))) { }
        Assert.Single(Spares(dir));
        using (var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 2 * SegmentBytes, RecycleSegments = 1 }))
            CheckAll(log);
        Assert.Empty(Spares(dir));
    }

    [Fact]
    public void Recycling_Off_DeletesFreedFiles()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, Options(recycle: 0));
        log.RetentionFloor = long.MaxValue;
        AppendModel(log, 2_000);
        Assert.Empty(Spares(dir));
        Assert.InRange(dir.SegmentFiles().Length, 3, 4);
        CheckAll(log);
    }

    /// <summary>
    /// Prepared segments are handed to the writer before their pages are touched, and touched on
    /// the background thread while the writer fills them (and truncation rewrites them): the touch
    /// must never change a byte. Segments of 4 MiB (four touch chunks), records of up to 4 KiB.
    /// </summary>
    [Fact]
    public void BackgroundTouch_RacingTheWriterAndTruncation_ChangesNoByte()
    {
        using var dir = new TempLogDirectory();
        const long segment = 4L << 20;
        var options = new LogOptions
        {
            SegmentBytes = segment,
            RetentionBytes = 3 * segment,
            RecycleSegments = 2,
            PrepareNextSegment = true,
            PreTouchPages = true,
            FlushPolicy = FlushPolicy.Interval,
            FlushInterval = TimeSpan.FromMilliseconds(1),
        };
        var rng = new Random(11);
        var buffer = new byte[4096];
        long end;
        using (var log = SegmentedLog.Open(dir.Path, options))
        {
            log.RetentionFloor = long.MaxValue;
            for (var round = 0; round < 12; round++)
            {
                var n = rng.Next(500, 3_000);
                for (var i = 0; i < n; i++)
                {
                    var offset = log.EndOffset;
                    var payload = buffer.AsSpan(0, (int)(offset % 4000) + 17);
                    LogAppendScenario.Fill(payload, offset);
                    log.Append(payload, offset);
                }
                if (round % 3 == 2) log.TruncateAfter(log.EndOffset - 1 - rng.Next(1, 200));
            }
            end = log.EndOffset;
            Check(log);
        }
        using (var log = SegmentedLog.Open(dir.Path, options))
        {
            Assert.Equal(end, log.EndOffset);
            Check(log);
        }

        static void Check(SegmentedLog log)
        {
            var want = new byte[4096];
            using var reader = log.OpenReader(log.StartOffset);
            var expected = log.StartOffset;
            while (reader.TryRead(out var r))
            {
                Assert.Equal(expected, r.Offset);
                var w = want.AsSpan(0, (int)(expected % 4000) + 17);
                LogAppendScenario.Fill(w, expected);
                Assert.True(r.Payload.SequenceEqual(w), $"record {expected} has the wrong bytes");
                Assert.Equal(expected, r.Timestamp);
                expected++;
            }
            Assert.Equal(log.EndOffset, expected);
        }
    }
}
