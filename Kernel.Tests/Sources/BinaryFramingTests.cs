using System.Buffers.Binary;
using System.Text;
using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

public sealed class BinaryFramingTests
{
    private static readonly SourceOptions s_frames = new() { Framing = RecordFraming.LengthPrefixed, BatchSize = 2 };

    private static byte[] Frames(params string[] payloads)
    {
        var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var p in payloads)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)p.Length);
            stream.Write(length);
            stream.Write(Encoding.ASCII.GetBytes(p));
        }
        return stream.ToArray();
    }

    private static long Sum(string s) => s.Sum(c => (long)c);

    // Frames: "abc" [0,7), "" [7,11), "hello" [11,20).
    private static readonly byte[] s_three = Frames("abc", "", "hello");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frames_EverySegmentSplit_FrameTheSameRecordsAndPositions(bool emptySegments)
    {
        for (var chunk = 1; chunk <= s_three.Length; chunk++)
        {
            var (target, progress) = await SourceRun.RunAsync<FrameRow, FrameRowParser>(new SegmentedPipeReader(s_three, chunk, emptySegments), s_frames);
            Assert.True(new FrameRow[] { new(3, Sum("abc")), new(0, 0), new(5, Sum("hello")) }.SequenceEqual(target.Events), $"chunk {chunk}: rows");
            Assert.True(new long[] { 7, 11, 20 }.SequenceEqual(target.Positions), $"chunk {chunk}: positions {string.Join(",", target.Positions)}");
            Assert.Equal(20, progress.BytesRead);
            Assert.Equal(0, progress.BadRecords);
        }
    }

    [Fact]
    public async Task Frames_TornPayloadAtEnd_FailsWithTheFrameOffset()
    {
        // A 4th frame at byte 20 says 10 payload bytes, but only "abc" follows.
        var data = s_three.Concat(new byte[] { 10, 0, 0, 0 }).Concat("abc"u8.ToArray()).ToArray();
        for (var chunk = 1; chunk <= data.Length; chunk++)
        {
            var ex = await Assert.ThrowsAsync<BadRecordException>(() =>
                SourceRun.RunAsync<FrameRow, FrameRowParser>(new SegmentedPipeReader(data, chunk), s_frames));
            Assert.Equal((4L, 20L), (ex.Line, ex.BytePosition));
            Assert.Contains("torn frame: its length says 10 payload bytes but the input ends after 3", ex.Message, StringComparison.Ordinal);
            Assert.Equal("test", ex.SourceName);
        }
    }

    [Fact]
    public async Task Frames_TornLengthAtEnd_IsCountedWithTheFrameOffsetAndTheGoodFramesArePublished()
    {
        var data = s_three.Concat(new byte[] { 1, 0 }).ToArray();
        for (var chunk = 1; chunk <= data.Length; chunk++)
        {
            var (target, progress) = await SourceRun.RunAsync<FrameRow, FrameRowParser>(new SegmentedPipeReader(data, chunk),
                new SourceOptions { Framing = RecordFraming.LengthPrefixed, BadRecordPolicy = BadRecordPolicy.SkipAndCount });
            Assert.Equal(3, target.Events.Count);
            Assert.Equal(1, progress.BadRecords);
            Assert.Equal((4L, 20L), (progress.LastBadRecord!.Line, progress.LastBadRecord.BytePosition));
            Assert.Contains("2 bytes into a 4-byte frame length", progress.LastBadRecord.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Frames_LengthAboveMaximum_SkipsThePayloadAndGoesOn()
    {
        // "abc" [0,7), a 100-byte frame at [7,111) over the maximum of 8, "hello" [111,120).
        var data = Frames("abc", new string('z', 100), "hello");
        for (var chunk = 1; chunk <= data.Length; chunk++)
        {
            var (target, progress) = await SourceRun.RunAsync<FrameRow, FrameRowParser>(new SegmentedPipeReader(data, chunk),
                new SourceOptions { Framing = RecordFraming.LengthPrefixed, MaxRecordLength = 8, BadRecordPolicy = BadRecordPolicy.SkipAndCount });
            Assert.True(new FrameRow[] { new(3, Sum("abc")), new(5, Sum("hello")) }.SequenceEqual(target.Events), $"chunk {chunk}");
            Assert.True(new long[] { 7, 120 }.SequenceEqual(target.Positions), $"chunk {chunk}: positions");
            Assert.Equal((2L, 7L), (progress.LastBadRecord!.Line, progress.LastBadRecord.BytePosition));
        }
    }

    [Fact]
    public async Task Frames_ParserRejection_NamesFrameNumberAndOffset()
    {
        // "ok" [0,6), "Xy" [6,12) rejected, "z" [12,17).
        var data = Frames("ok", "Xy", "z");
        var ex = await Assert.ThrowsAsync<BadRecordException>(() =>
            SourceRun.RunAsync<FrameRow, FrameRowParser>(new SegmentedPipeReader(data, 5), s_frames));
        Assert.Equal((2L, 6L, "payload", "X"), (ex.Line, ex.BytePosition, ex.Column, ex.Value));
    }
}
