using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

public sealed class LogRecoveryTests
{
    private static LogOptions Options(long segmentBytes, FlushPolicy policy = FlushPolicy.OnDemand) => new()
    {
        FlushPolicy = policy,
        SegmentBytes = segmentBytes,
        PrepareNextSegment = false,
        IndexIntervalBytes = 128,
        PayloadFingerprint = 0xFEED,
    };

    /// <summary>Writes records 0..count-1 (lengths from <see cref="LogTestData"/>) and returns each record's unpadded end in its segment file (single segment).</summary>
    private static long[] WriteSmallLog(string path, int count, int maxLength, long segmentBytes)
    {
        var ends = new long[count];
        long position = 64;
        using var log = SegmentedLog.Open(path, Options(segmentBytes));
        for (var o = 0; o < count; o++)
        {
            var payload = LogTestData.Payload(o, maxLength);
            log.Append(payload, LogTestData.TimeOf(o));
            ends[o] = position + 16 + payload.Length;
            position += (16 + payload.Length + 7) & ~7;
        }
        log.Flush();
        return ends;
    }

    private static List<long> ReadAll(SegmentedLog log, int maxLength)
    {
        var offsets = new List<long>();
        using var reader = log.OpenReader(log.StartOffset);
        while (reader.TryRead(out var r))
        {
            Assert.True(LogTestData.Matches(r.Payload, r.Offset, maxLength), $"record {r.Offset} was handed out with wrong bytes");
            Assert.Equal(LogTestData.TimeOf(r.Offset), r.Timestamp);
            offsets.Add(r.Offset);
        }
        return offsets;
    }

    [Fact]
    public void TornTail_AtEveryBytePosition_ReopensToLongestValidPrefix()
    {
        const int count = 9, maxLength = 70;
        using var dir = new TempLogDirectory();
        var source = Path.Combine(dir.Path, "source");
        var ends = WriteSmallLog(source, count, maxLength, 8192);
        var file = Directory.GetFiles(source, "*.seg").Single();
        var pristine = File.ReadAllBytes(file);
        var dataEnd = ends[^1];
        var work = Path.Combine(dir.Path, "work");
        for (var cut = 64; cut <= dataEnd; cut++)
        {
            // A crash leaves the bytes before the cut and the zeros of the preallocated file after it.
            Directory.CreateDirectory(work);
            var torn = new byte[pristine.Length];
            pristine.AsSpan(0, cut).CopyTo(torn);
            File.WriteAllBytes(Path.Combine(work, Path.GetFileName(file)), torn);
            // Record i survives when the torn file holds all its bytes: those past the cut happen to be zero too.
            var expected = 0;
            while (expected < count && (ends[expected] <= cut || !pristine.AsSpan(cut, (int)(ends[expected] - cut)).ContainsAnyExcept((byte)0)))
                expected++;
            var validEnd = expected == 0 ? 64 : (ends[expected - 1] + 7) & ~7L;
            var garbage = cut > validEnd && torn.AsSpan((int)validEnd, cut - (int)validEnd).ContainsAnyExcept((byte)0);
            using (var log = SegmentedLog.Open(work, Options(8192, FlushPolicy.None)))
            {
                Assert.True(expected == log.EndOffset, $"cut at byte {cut}: {log.EndOffset} records, expected {expected}");
                Assert.True(garbage == log.Recovery.Repaired, $"cut at byte {cut}: report {log.Recovery}");
                if (garbage)
                {
                    Assert.True(log.Recovery.RecordsDropped >= 1, $"cut at byte {cut}: {log.Recovery}");
                    Assert.Equal(validEnd, log.Recovery.TruncatedAt);
                }
                Assert.Equal(Enumerable.Range(0, expected).Select(i => (long)i), ReadAll(log, maxLength));
                if (cut % 53 == 0)
                {
                    // The repaired log takes appends again and keeps them.
                    log.Append(LogTestData.Payload(expected, maxLength), LogTestData.TimeOf(expected));
                    log.Flush();
                }
            }
            if (cut % 53 == 0)
            {
                using var again = SegmentedLog.Open(work, Options(8192));
                Assert.False(again.Recovery.Repaired, $"cut at byte {cut}: second open repaired again");
                Assert.Equal(expected + 1, again.EndOffset);
            }
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void TornHeader_IsReportedNotGuessed()
    {
        using var dir = new TempLogDirectory();
        WriteSmallLog(dir.Path, 3, 50, 8192);
        var file = dir.SegmentFiles().Single();
        var bytes = File.ReadAllBytes(file);
        for (var cut = 1; cut < 64; cut += 5)
        {
            var torn = new byte[bytes.Length];
            bytes.AsSpan(0, cut).CopyTo(torn);
            File.WriteAllBytes(file, torn);
            var e = Assert.ThrowsAny<IOException>(() => SegmentedLog.Open(dir.Path, Options(8192)));
            Assert.True(e is LogFormatException or LogCorruptionException, $"cut {cut}: {e}");
            Assert.Contains(file, e.Message, StringComparison.Ordinal);
        }
        // All zero: a segment prepared and never started; it is removed and the log starts empty.
        File.WriteAllBytes(file, new byte[bytes.Length]);
        using var log = SegmentedLog.Open(dir.Path, Options(8192));
        Assert.Equal(1, log.Recovery.BlankSegmentsDeleted);
        Assert.Equal(0, log.EndOffset);
    }

    [Theory]
    [InlineData(101)]
    public void RandomBitFlip_IsAlwaysDetected(int seed) => RandomBitFlip_IsAlwaysDetected_AndNeverReadAsData(seed);

    [Theory]
    [Trait("Category", "Soak")]
    [InlineData(202)]
    [InlineData(303)]
    [InlineData(404)]
    public void RandomBitFlip_Soak(int seed) => RandomBitFlip_IsAlwaysDetected_AndNeverReadAsData(seed);

    private static void RandomBitFlip_IsAlwaysDetected_AndNeverReadAsData(int seed)
    {
        const int maxLength = 120;
        using var dir = new TempLogDirectory();
        var source = Path.Combine(dir.Path, "source");
        var options = Options(8192);
        long total;
        using (var log = SegmentedLog.Open(source, options))
        {
            for (var o = 0; o < 300; o++) log.Append(LogTestData.Payload(o, maxLength), LogTestData.TimeOf(o));
            log.Flush();
            total = log.EndOffset;
            Assert.True(log.SegmentCount >= 3, $"segments: {log.SegmentCount}");
        }
        var files = Directory.GetFiles(source, "*.seg").Order(StringComparer.Ordinal).ToArray();
        var pristine = files.Select(File.ReadAllBytes).ToArray();
        var used = pristine.Select(b => b.AsSpan().LastIndexOfAnyExcept((byte)0) + 1).ToArray();
        var rng = new Random(seed);
        var work = Path.Combine(dir.Path, "work");
        for (var trial = 0; trial < 100; trial++)
        {
            Directory.CreateDirectory(work);
            var victim = rng.Next(files.Length);
            var bit = rng.NextInt64((long)used[victim] * 8);
            for (var f = 0; f < files.Length; f++)
            {
                var bytes = (byte[])pristine[f].Clone();
                if (f == victim) bytes[bit / 8] ^= (byte)(1 << (int)(bit % 8));
                File.WriteAllBytes(Path.Combine(work, Path.GetFileName(files[f])), bytes);
            }
            var where = $"seed {seed}, trial {trial}: bit {bit} of {Path.GetFileName(files[victim])}";
            var detected = false;
            try
            {
                using var log = SegmentedLog.Open(work, Options(8192, FlushPolicy.None));
                detected = log.Recovery.Repaired;
                try
                {
                    var read = ReadAll(log, maxLength); // asserts every record handed out is the original
                    if (read.Count != total) detected = true;
                }
                catch (LogCorruptionException e)
                {
                    Assert.Contains(Path.GetFileName(files[victim]), e.FilePath, StringComparison.Ordinal);
                    detected = true;
                }
            }
            catch (IOException e) when (e is LogFormatException or LogCorruptionException)
            {
                detected = true;
            }
            Assert.True(detected, where + ": not detected");
            Directory.Delete(work, recursive: true);
        }
    }

    [Theory]
    [InlineData(7)]
    public void GarbageAfterValidRecords_IsCut(int seed) => GarbageAfterValidRecords_IsCutAndNeverRead(seed);

    [Theory]
    [Trait("Category", "Soak")]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public void GarbageAfterValidRecords_Soak(int seed) => GarbageAfterValidRecords_IsCutAndNeverRead(seed);

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void GarbageInSealedSegment_IsReportedNeverRead(int seed)
    {
        const int maxLength = 120;
        var rng = new Random(seed);
        using var dir = new TempLogDirectory();
        var source = Path.Combine(dir.Path, "source");
        using (var log = SegmentedLog.Open(source, Options(8192)))
        {
            for (var o = 0; o < 300; o++) log.Append(LogTestData.Payload(o, maxLength), LogTestData.TimeOf(o));
        }
        var files = Directory.GetFiles(source, "*.seg").Order(StringComparer.Ordinal).ToArray();
        var pristine = files.Select(File.ReadAllBytes).ToArray();
        var work = Path.Combine(dir.Path, "work");
        for (var trial = 0; trial < 40; trial++)
        {
            Directory.CreateDirectory(work);
            var victim = rng.Next(files.Length - 1); // a sealed segment
            var used = pristine[victim].AsSpan().LastIndexOfAnyExcept((byte)0) + 1;
            var at = rng.Next(64, used);
            var garbage = new byte[rng.Next(1, 64)];
            rng.NextBytes(garbage);
            for (var f = 0; f < files.Length; f++)
            {
                var bytes = (byte[])pristine[f].Clone();
                if (f == victim) garbage.AsSpan(0, Math.Min(garbage.Length, bytes.Length - at)).CopyTo(bytes.AsSpan(at));
                File.WriteAllBytes(Path.Combine(work, Path.GetFileName(files[f])), bytes);
            }
            using (var log = SegmentedLog.Open(work, Options(8192, FlushPolicy.None)))
            {
                var changed = !pristine[victim].AsSpan(at, Math.Min(garbage.Length, pristine[victim].Length - at)).SequenceEqual(garbage.AsSpan(0, Math.Min(garbage.Length, pristine[victim].Length - at)));
                if (changed)
                {
                    var e = Assert.Throws<LogCorruptionException>(() => ReadAll(log, maxLength)); // ReadAll also asserts every record it got is intact
                    Assert.True(e.FilePath == files[victim].Replace(source, work, StringComparison.Ordinal), $"seed {seed}, trial {trial}: {e.Message}");
                }
            }
            Directory.Delete(work, recursive: true);
        }
    }

    private static void GarbageAfterValidRecords_IsCutAndNeverRead(int seed)
    {
        const int maxLength = 64;
        var rng = new Random(seed);
        using var dir = new TempLogDirectory();
        for (var trial = 0; trial < 60; trial++)
        {
            var path = Path.Combine(dir.Path, trial.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var valid = rng.Next(0, 6);
            var ends = WriteSmallLog(path, valid, maxLength, 8192);
            var file = Directory.GetFiles(path, "*.seg").Single();
            var bytes = File.ReadAllBytes(file);
            var start = valid == 0 ? 64 : (int)((ends[^1] + 7) & ~7L);
            var garbage = new byte[rng.Next(1, 600)];
            rng.NextBytes(garbage);
            // Some garbage looks like frames: plausible lengths, sometimes a zero word.
            for (var p = 0; p + 4 <= garbage.Length; p += 8)
            {
                var kind = rng.Next(4);
                if (kind == 0) BitConverter.TryWriteBytes(garbage.AsSpan(p), (uint)rng.Next(16, 200));
                else if (kind == 1) BitConverter.TryWriteBytes(garbage.AsSpan(p), 0u);
            }
            garbage[0] |= 1; // the first word is never the end marker
            garbage.AsSpan(0, Math.Min(garbage.Length, bytes.Length - start)).CopyTo(bytes.AsSpan(start));
            File.WriteAllBytes(file, bytes);
            using var log = SegmentedLog.Open(path, Options(8192, FlushPolicy.None));
            Assert.True(valid == log.EndOffset, $"seed {seed}, trial {trial}: {log.EndOffset} records, expected {valid}");
            Assert.True(log.Recovery.Repaired, $"seed {seed}, trial {trial}: garbage not reported");
            Assert.Equal(valid, ReadAll(log, maxLength).Count);
        }
    }

    [Fact]
    public void BadRecordInSealedSegment_ReaderThrowsWithFileAndPosition()
    {
        using var dir = new TempLogDirectory();
        var options = Options(8192);
        using (var log = SegmentedLog.Open(dir.Path, options))
        {
            for (var o = 0; o < 150; o++) log.Append(LogTestData.Payload(o, 120), LogTestData.TimeOf(o));
        }
        var first = dir.SegmentFiles()[0];
        var bytes = File.ReadAllBytes(first);
        // The first record with a payload of at least 4 bytes gets a flipped bit in its payload.
        long position = 64, victim = 0;
        while (LogTestData.LengthOf(victim, 120) < 4)
        {
            position += (16 + LogTestData.LengthOf(victim, 120) + 7) & ~7;
            victim++;
        }
        bytes[position + 16 + 2] ^= 0x10;
        File.WriteAllBytes(first, bytes);
        using var reopened = SegmentedLog.Open(dir.Path, options);
        Assert.False(reopened.Recovery.Repaired); // only the tail is repaired
        var e = Assert.Throws<LogCorruptionException>(() =>
        {
            using var reader = reopened.OpenReader(0);
            while (reader.TryRead(out _)) { }
        });
        Assert.Equal(first, e.FilePath);
        Assert.Equal(position, e.Position);
        Assert.Contains($"offset {victim}", e.Message, StringComparison.Ordinal);
    }
}
