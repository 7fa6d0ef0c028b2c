using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

/// <summary>
/// The persisted sparse index (<c>NNNNNNNNNN.idx</c> per sealed segment): seeks after a reopen use
/// it instead of walking segments, and a missing, torn, corrupt or stale index file is never
/// trusted: the segment is walked, the answers stay right, and the file is rewritten.
/// </summary>
public sealed class LogIndexFileTests
{
    private const int MaxLength = 60;
    private const long SegmentBytes = 8192;

    private static LogOptions Options(bool prepare = false) => new()
    {
        SegmentBytes = SegmentBytes,
        FlushPolicy = FlushPolicy.OnDemand,
        PrepareNextSegment = prepare,
        IndexIntervalBytes = 128,
        PayloadFingerprint = 0x1D,
    };

    /// <summary>Event times that go mostly up with some disorder: record o gets 1000 + 10·o, minus 35 for every seventh record.</summary>
    private static long TimeOf(long offset) => 1000 + offset * 10 - (offset % 7 == 3 ? 35 : 0);

    private static void Append(SegmentedLog log, long count)
    {
        for (var o = log.EndOffset; o < count; o++) log.Append(LogTestData.Payload(o, MaxLength), TimeOf(o));
    }

    /// <summary>The oracle for a seek by time: the first offset whose time is at least <paramref name="t"/>, by a plain walk over the formula.</summary>
    private static long FirstAtOrAfter(long t, long count)
    {
        for (long o = 0; o < count; o++)
            if (TimeOf(o) >= t) return o;
        return count;
    }

    private static void AssertSeeksRight(SegmentedLog log, long count)
    {
        for (var t = 900L; t <= TimeOf(count - 1) + 20; t += 7)
        {
            using var reader = log.OpenReaderAtTime(t);
            var expected = FirstAtOrAfter(t, count);
            Assert.Equal(expected, reader.NextOffset);
            if (expected < count)
            {
                Assert.True(reader.TryRead(out var r));
                Assert.Equal(expected, r.Offset);
                Assert.True(LogTestData.Matches(r.Payload, r.Offset, MaxLength), $"record {r.Offset} came back with wrong bytes");
            }
        }
        for (long o = 0; o <= count; o += 5)
        {
            using var reader = log.OpenReader(o);
            if (o == count) { Assert.False(reader.TryRead(out _)); continue; }
            Assert.True(reader.TryRead(out var r));
            Assert.Equal(o, r.Offset);
            Assert.True(LogTestData.Matches(r.Payload, o, MaxLength));
        }
    }

    private static string[] IndexFiles(TempLogDirectory dir) =>
        Directory.GetFiles(dir.Path, "*.idx").Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SealedSegments_GetAnIndexFile_AndReopenLoadsIt(bool prepareOnBackgroundThread)
    {
        const long count = 2000;
        using var dir = new TempLogDirectory();
        int segments;
        using (var log = SegmentedLog.Open(dir.Path, Options(prepareOnBackgroundThread)))
        {
            Append(log, count);
            segments = log.SegmentCount;
        }
        Assert.True(segments >= 8, $"the test needs several segments, got {segments}");
        // Every sealed segment has one; the active (last) one has none: recovery scans it anyway.
        Assert.Equal(dir.SegmentFiles()[..^1].Select(p => Path.ChangeExtension(p, ".idx")), IndexFiles(dir));

        using var reopened = SegmentedLog.Open(dir.Path, Options());
        AssertSeeksRight(reopened, count);
        var snapshot = reopened.SegmentsSnapshot;
        Assert.All(snapshot[..^1], s => Assert.Equal(SegmentIndexSource.Loaded, s.IndexSource));
    }

    [Fact]
    public void SeekByTime_AfterReopen_ReadsOnlyTheSegmentItLandsIn()
    {
        const long count = 2000;
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Options())) Append(log, count);

        using var reopened = SegmentedLog.Open(dir.Path, Options());
        var t = TimeOf(900);
        using var reader = reopened.OpenReaderAtTime(t);
        Assert.Equal(FirstAtOrAfter(t, count), reader.NextOffset);
        var snapshot = reopened.SegmentsSnapshot;
        var landed = Array.FindIndex(snapshot, s => s.BaseOffset > reader.NextOffset) - 1;
        Assert.True(landed > 1, "the seek should land past the first segments");
        // Segments before it were skipped on their index file's header: not walked, not even loaded.
        for (var i = 0; i < landed; i++)
            Assert.False(snapshot[i].IsScanned, $"segment {i} was read although its index says its records are too early");
        Assert.Equal(SegmentIndexSource.Loaded, snapshot[landed].IndexSource);
    }

    public static TheoryData<string> Damages() => ["delete", "empty", "torn-header", "torn-entries", "garbage"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void DamagedIndexFile_IsRebuilt_AndAnswersStayRight(string damage)
    {
        const long count = 2000;
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Options())) Append(log, count);
        var victim = IndexFiles(dir)[3];
        var bytes = File.ReadAllBytes(victim);
        switch (damage)
        {
            case "delete": File.Delete(victim); break;
            case "empty": File.WriteAllBytes(victim, []); break;
            case "torn-header": File.WriteAllBytes(victim, bytes[..40]); break;
            case "torn-entries": File.WriteAllBytes(victim, bytes[..(bytes.Length - 30)]); break;
            case "garbage": new Random(7).NextBytes(bytes); File.WriteAllBytes(victim, bytes); break;
        }

        using (var reopened = SegmentedLog.Open(dir.Path, Options()))
        {
            AssertSeeksRight(reopened, count);
            var snapshot = reopened.SegmentsSnapshot;
            Assert.Equal(SegmentIndexSource.Rebuilt, snapshot[3].IndexSource);
            Assert.Equal(SegmentIndexSource.Loaded, snapshot[2].IndexSource);
        }
        // The rebuild rewrote the file: the next open loads it.
        using var again = SegmentedLog.Open(dir.Path, Options());
        AssertSeeksRight(again, count);
        Assert.Equal(SegmentIndexSource.Loaded, again.SegmentsSnapshot[3].IndexSource);
    }

    [Fact]
    public void BitFlip_InAnIndexFile_IsNeverTrusted()
    {
        const long count = 700;
        const int seed = 1234;
        using var dir = new TempLogDirectory();
        using (var log = SegmentedLog.Open(dir.Path, Options())) Append(log, count);
        var victim = IndexFiles(dir)[2];
        var pristine = File.ReadAllBytes(victim);
        var rng = new Random(seed);
        // Every byte of the header and of the trailing checksum, and 24 random bytes of the entries (each reopen costs a few ms).
        var positions = Enumerable.Range(0, 64).Concat(Enumerable.Range(pristine.Length - 4, 4))
            .Concat(Enumerable.Range(0, 24).Select(_ => rng.Next(64, pristine.Length - 4))).ToArray();
        foreach (var i in positions)
        {
            var bytes = (byte[])pristine.Clone();
            var bit = rng.Next(8);
            bytes[i] ^= (byte)(1 << bit);
            File.WriteAllBytes(victim, bytes);
            using var reopened = SegmentedLog.Open(dir.Path, Options());
            var segment = reopened.SegmentsSnapshot[2];
            using (var reader = reopened.OpenReader(segment.BaseOffset + 1))
            {
                Assert.True(reader.TryRead(out var r));
                Assert.True(LogTestData.Matches(r.Payload, segment.BaseOffset + 1, MaxLength), $"seed {seed}, byte {i} bit {bit}: wrong record");
            }
            Assert.True(segment.IndexSource == SegmentIndexSource.Rebuilt, $"seed {seed}, byte {i} bit {bit}: a flipped index file was loaded");
            using (var timed = reopened.OpenReaderAtTime(TimeOf(segment.BaseOffset + 4)))
                Assert.Equal(FirstAtOrAfter(TimeOf(segment.BaseOffset + 4), count), timed.NextOffset);
        }
    }

    [Fact]
    public void StaleIndexFile_WithValidChecksums_IsRejectedByTheDataCheck()
    {
        const long count = 2000;
        using var dir = new TempLogDirectory();
        string stale;
        long cut;
        using (var log = SegmentedLog.Open(dir.Path, Options()))
        {
            Append(log, count);
            var victim = log.SegmentsSnapshot[4];
            stale = Path.Combine(dir.Path, "stale.bin");
            File.Copy(Path.ChangeExtension(victim.Path, ".idx"), stale);
            // Cut inside segment 4 and write other records there: its old index no longer describes it.
            cut = victim.BaseOffset + 3;
            log.TruncateAfter(cut);
            for (var o = cut + 1; o < count; o++) log.Append(new byte[(int)(o % 5) * 11], TimeOf(o));
        }
        var index4 = IndexFiles(dir)[4];
        File.Copy(stale, index4, overwrite: true);
        File.Delete(stale);

        using var reopened = SegmentedLog.Open(dir.Path, Options());
        using var reader = reopened.OpenReader(cut - 3);
        for (var o = cut - 3; o < count; o++)
        {
            Assert.True(reader.TryRead(out var r), $"record {o} missing");
            Assert.Equal(o, r.Offset);
            Assert.Equal(TimeOf(o), r.Timestamp);
            if (o > cut) Assert.Equal((int)(o % 5) * 11, r.Payload.Length);
        }
        Assert.Equal(SegmentIndexSource.Rebuilt, reopened.SegmentsSnapshot[4].IndexSource);
    }

    [Fact]
    public void Retention_DeletesIndexFiles_AndOpenRemovesStrayOnes()
    {
        using var dir = new TempLogDirectory();
        var options = new LogOptions
        {
            SegmentBytes = SegmentBytes,
            PrepareNextSegment = false,
            IndexIntervalBytes = 128,
            PayloadFingerprint = 0x1D,
            RetentionBytes = 4 * SegmentBytes,
        };
        using (var log = SegmentedLog.Open(dir.Path, options))
        {
            log.RetentionFloor = long.MaxValue;
            Append(log, 2000);
            Assert.True(log.StartOffset > 0, "retention should have deleted segments");
        }
        var segments = dir.SegmentFiles();
        Assert.Equal(segments[..^1].Select(p => Path.ChangeExtension(p, ".idx")), IndexFiles(dir));

        File.WriteAllBytes(Path.Combine(dir.Path, "0000000000.idx"), [1, 2, 3]);       // its segment is gone
        File.WriteAllBytes(Path.Combine(dir.Path, "0000000099.idx.tmp"), [1, 2, 3]);   // a write cut short
        using (SegmentedLog.Open(dir.Path, options)) { }
        Assert.False(File.Exists(Path.Combine(dir.Path, "0000000000.idx")));
        Assert.False(File.Exists(Path.Combine(dir.Path, "0000000099.idx.tmp")));
    }
}
