using System.IO.Pipelines;
using System.Text;
using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

public sealed class LineFramingTests
{
    // Hand-computed layout (byte offsets):
    //   [0,14)  "id,qty,price\r\n"  line 1, header
    //   [14,22) "1,2,300\n"         line 2 -> (1,2,300), position 22
    //   [22,23) "\n"                line 3, empty: skipped
    //   [23,31) "2,5,-7\r\n"        line 4 -> (2,5,-7), position 31
    //   [31,37) "3,0,42"            line 5, no terminator -> (3,0,42), position 37
    private static readonly byte[] s_mixed = Encoding.ASCII.GetBytes("id,qty,price\r\n1,2,300\n\n2,5,-7\r\n3,0,42");
    private static readonly Row[] s_mixedRows = [new(1, 2, 300), new(2, 5, -7), new(3, 0, 42)];
    private static readonly long[] s_mixedPositions = [22, 31, 37];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Lines_EverySegmentSplit_FrameTheSameRecordsAndPositions(bool emptySegments)
    {
        for (var chunk = 1; chunk <= s_mixed.Length; chunk++)
        {
            var headers = new List<string>();
            var reader = new SegmentedPipeReader(s_mixed, chunk, emptySegments);
            var (target, progress) = await SourceRun.RunAsync<Row, RowParser>(reader, new SourceOptions { HasHeader = true, BatchSize = 2 }, new RowParser(headers));
            Assert.True(s_mixedRows.SequenceEqual(target.Events), $"chunk {chunk}: rows");
            Assert.True(s_mixedPositions.SequenceEqual(target.Positions), $"chunk {chunk}: positions {string.Join(",", target.Positions)}");
            Assert.Equal(["id,qty,price"], headers);
            Assert.Equal(37, progress.BytesRead);
            Assert.Equal(3, progress.RecordsRead);
            Assert.True(reader.Completed, $"chunk {chunk}: reader completed");
        }
    }

    [Fact]
    public async Task Lines_ThroughAPipeInChunksOfEverySize_FrameTheSameRecords()
    {
        for (var chunk = 1; chunk <= s_mixed.Length; chunk++)
        {
            var pipe = new Pipe();
            var writer = Task.Run(async () =>
            {
                for (var i = 0; i < s_mixed.Length; i += chunk)
                    await pipe.Writer.WriteAsync(s_mixed.AsMemory(i, Math.Min(chunk, s_mixed.Length - i)));
                await pipe.Writer.CompleteAsync();
            });
            var (target, _) = await SourceRun.RunAsync<Row, RowParser>(pipe.Reader, new SourceOptions { HasHeader = true }, new RowParser([]));
            await writer.WaitAsync(SourceRun.Timeout);
            Assert.True(s_mixedRows.SequenceEqual(target.Events), $"chunk {chunk}: rows");
            Assert.True(s_mixedPositions.SequenceEqual(target.Positions), $"chunk {chunk}: positions");
        }
    }

    [Fact]
    public async Task Lines_WithoutHeader_FirstLineIsARecord()
    {
        var data = Encoding.ASCII.GetBytes("7,8,9\n");
        var (target, _) = await SourceRun.RunAsync<Row, RowParser>(new SegmentedPipeReader(data, 64), new SourceOptions());
        Assert.Equal([new Row(7, 8, 9)], target.Events);
        Assert.Equal([6L], target.Positions);
    }

    [Fact]
    public async Task Lines_OnlyEmptyLinesAndCrlf_AreNotRecords()
    {
        // "\n" [0,1), "\r\n" [1,3), "\n" [3,4): three lines, no records, nothing bad.
        var data = Encoding.ASCII.GetBytes("\n\r\n\n");
        var (target, progress) = await SourceRun.RunAsync<Row, RowParser>(new SegmentedPipeReader(data, 1), new SourceOptions());
        Assert.Empty(target.Events);
        Assert.Equal(0, progress.BadRecords);
        Assert.Equal(4, progress.BytesRead);
    }

    [Fact]
    public async Task Lines_FinalLineEndingInCarriageReturnOnly_DropsTheCr()
    {
        var data = Encoding.ASCII.GetBytes("1,1,1\r");
        var (target, _) = await SourceRun.RunAsync<Row, RowParser>(new SegmentedPipeReader(data, 3), new SourceOptions());
        Assert.Equal([new Row(1, 1, 1)], target.Events);
        Assert.Equal([6L], target.Positions);
    }

    // Hand-computed layout with MaxRecordLength = 8:
    //   [0,6)   "1,2,3\n"              line 1 -> (1,2,3), position 6
    //   [6,23)  "123456789012,1,1\n"   line 2, 16 content bytes > 8: bad record at byte 6
    //   [23,33) "1,2,3456\r\n"         line 3, 8 content bytes + CRLF: exactly the maximum, accepted, position 33
    //   [33,43) "9,9,99999\n"          line 4, 9 content bytes: bad record at byte 33
    //   [43,49) "4,5,6\n"              line 5 -> (4,5,6), position 49
    //   [49,61) "777777777777"         line 6, 12 bytes, unterminated: bad record at byte 49
    private static readonly byte[] s_overLong = Encoding.ASCII.GetBytes("1,2,3\n123456789012,1,1\n1,2,3456\r\n9,9,99999\n4,5,6\n777777777777");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Lines_OverLong_EverySegmentSplit_AreBadRecordsWithExactPositions(bool emptySegments)
    {
        for (var chunk = 1; chunk <= s_overLong.Length; chunk++)
        {
            var path = Path.Combine(Path.GetTempPath(), $"kernel-sources-overlong-{Guid.NewGuid():N}.dead");
            try
            {
                var options = new SourceOptions { MaxRecordLength = 8, BadRecordPolicy = BadRecordPolicy.DeadLetter, DeadLetterPath = path };
                var (target, progress) = await SourceRun.RunAsync<Row, RowParser>(new SegmentedPipeReader(s_overLong, chunk, emptySegments), options);
                Assert.True(new Row[] { new(1, 2, 3), new(1, 2, 3456), new(4, 5, 6) }.SequenceEqual(target.Events), $"chunk {chunk}: rows {string.Join(";", target.Events)}");
                Assert.True(new long[] { 6, 33, 49 }.SequenceEqual(target.Positions), $"chunk {chunk}: positions {string.Join(",", target.Positions)}");
                Assert.Equal(3, progress.BadRecords);
                var entries = DeadLetterFile.Read(path);
                Assert.Equal([(2L, 6L), (4L, 33L), (6L, 49L)], entries.Select(e => (e.Line, e.Byte)).ToArray());
                Assert.Equal(["12345678", "9,9,9999", "77777777"], entries.Select(e => Encoding.ASCII.GetString(e.Raw)).ToArray());
                Assert.Contains("longer than the maximum of 8 bytes", entries[0].Header, StringComparison.Ordinal);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [Fact]
    public async Task Lines_OverLongUnterminated_BuffersNoMoreThanTheMaximum()
    {
        // 1 MiB without a line feed, then one good record. The loop must report and drop the long
        // line as it goes, so the reader never holds more than the maximum plus one read.
        var data = new byte[(1 << 20) + 6];
        data.AsSpan(0, 1 << 20).Fill((byte)'7');
        Encoding.ASCII.GetBytes("\n1,2,3").CopyTo(data, 1 << 20);
        var reader = new HighWaterReader(new SegmentedPipeReader(data, 1000));
        var (target, progress) = await SourceRun.RunAsync<Row, RowParser>(reader, new SourceOptions { MaxRecordLength = 4096, BadRecordPolicy = BadRecordPolicy.SkipAndCount });
        Assert.Equal([new Row(1, 2, 3)], target.Events);
        Assert.Equal(1, progress.BadRecords);
        Assert.Equal([(1L << 20) + 6], target.Positions);
        Assert.Equal((1L, 0L), (progress.LastBadRecord!.Line, progress.LastBadRecord.BytePosition));
        Assert.InRange(reader.MaxBufferLength, 1, 4096 + 2 + 1000);
    }
}
