using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

/// <summary>
/// docs/formats/log.md: recovery of a torn or damaged tail zeroes everything up to the last non-zero byte and reports
/// the byte position, the bytes dropped and the frames dropped (session 24's audit). Without the zeroing, frames after
/// a damaged one come back once a record of the same length is appended over it (journal records all have one size).
/// </summary>
public sealed class LogTailRepairS24Tests
{
    private const int Count = 10, PayloadBytes = 40, FrameBytes = 16 + PayloadBytes, Header = 64;

    private static LogOptions Options() => new()
    {
        FlushPolicy = FlushPolicy.OnDemand, SegmentBytes = 8192, PrepareNextSegment = false, IndexIntervalBytes = 128, PayloadFingerprint = 0xFEED,
    };

    [Fact]
    public void DamagedTailFrame_EverythingAfterItIsZeroed_AndReported_SoAnAppendOverItCannotRevivePastFrames()
    {
        using var dir = new TempLogDirectory();
        var payload = new byte[PayloadBytes];
        payload.AsSpan().Fill(0xAB);
        using (var log = SegmentedLog.Open(dir.Path, Options()))
        {
            for (var i = 0; i < Count; i++) log.Append(payload, 1_000 + i);
            log.Flush();
        }
        var file = Directory.GetFiles(dir.Path, "*.seg").Single();
        var bytes = File.ReadAllBytes(file);
        bytes[Header + 5 * FrameBytes + 16 + 10] ^= 0x04;   // inside record 5's payload: its checksum fails
        File.WriteAllBytes(file, bytes);

        using (var log = SegmentedLog.Open(dir.Path, Options()))
        {
            Assert.Equal(5, log.EndOffset);
            Assert.True(log.Recovery.Repaired);
            Assert.Equal(Header + 5 * FrameBytes, log.Recovery.TruncatedAt);
            Assert.Equal(5 * FrameBytes, log.Recovery.BytesDropped);
            Assert.Equal(5, log.Recovery.RecordsDropped);
            Assert.Equal(file, log.Recovery.TailFile);
            var other = new byte[PayloadBytes];
            other.AsSpan().Fill(0xCD);
            log.Append(other, 2_000);
            log.Flush();
        }

        var after = File.ReadAllBytes(file);
        Assert.False(after.AsSpan(Header + 6 * FrameBytes).ContainsAnyExcept((byte)0), "bytes of the dropped frames are left after the appended one");
        using (var again = SegmentedLog.Open(dir.Path, Options()))
        {
            Assert.False(again.Recovery.Repaired);
            Assert.Equal(6, again.EndOffset);
        }
    }

    [Fact]
    public void SealedSegmentEndingBeforeTheNextOnesBaseOffset_IsReportedWithFileAndPosition()
    {
        // docs/formats/log.md: a sealed segment whose records do not reach the next segment's base offset is reported
        // like a bad record, naming the file and the byte position.
        using var dir = new TempLogDirectory();
        var payload = new byte[PayloadBytes];
        payload.AsSpan().Fill(0xAB);
        using (var log = SegmentedLog.Open(dir.Path, Options()))
        {
            for (var i = 0; i < 300; i++) log.Append(payload, 1_000 + i);
            log.Flush();
        }
        var segments = dir.SegmentFiles();
        Assert.True(segments.Length >= 2, $"{segments.Length} segment(s)");
        foreach (var index in Directory.GetFiles(dir.Path, "*.idx")) File.Delete(index);
        var first = segments[0];
        var bytes = File.ReadAllBytes(first);
        var third = Header + 3 * FrameBytes;
        bytes.AsSpan(third, 4).Clear();   // record 3's frame length: 0, which reads as the end of the segment's data
        File.WriteAllBytes(first, bytes);

        using var reopened = SegmentedLog.Open(dir.Path, Options());
        var read = new List<long>();
        var e = Assert.Throws<LogCorruptionException>(() =>
        {
            using var reader = reopened.OpenReader(0);
            while (reader.TryRead(out var r)) read.Add(r.Offset);
        });

        Assert.Empty(read);   // the segment is checked when a reader enters it, before any of its records is handed out
        Assert.Equal(first, e.FilePath);
        Assert.Equal(third, e.Position);
        Assert.Contains("segment ends at offset 3", e.Message, StringComparison.Ordinal);
    }
}
