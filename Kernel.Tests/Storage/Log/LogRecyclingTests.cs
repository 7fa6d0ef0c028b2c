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
