using System.Text;
using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

public sealed class FileSourceTests
{
    private static byte[] Csv(int rows, bool crlf)
    {
        var sb = new StringBuilder("id,qty,price").Append(crlf ? "\r\n" : "\n");
        for (var i = 1; i <= rows; i++) sb.Append(i).Append(',').Append(i % 7).Append(',').Append(i * 13).Append(crlf ? "\r\n" : "\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Resume_FromEveryReportedPosition_ReadsExactlyTheRemainingRecords(bool crlf)
    {
        const int rows = 40;
        using var file = new TempFile("rows.csv", Csv(rows, crlf));
        var full = new CollectingTarget<Row>();
        var first = new FileSource<Row, RowParser>(file.FilePath, new SourceOptions { HasHeader = true, BatchSize = 3 }, new RowParser([]));
        await first.RunAsync(full).WaitAsync(SourceRun.Timeout);
        Assert.Equal(rows, full.Events.Count);
        Assert.Equal(new FileInfo(file.FilePath).Length, first.Position);

        for (var k = 0; k < rows; k++)
        {
            var headers = new List<string>();
            var resumed = new FileSource<Row, RowParser>(file.FilePath, new SourceOptions { HasHeader = true, BatchSize = 3 }, new RowParser(headers));
            var rest = new CollectingTarget<Row>();
            await resumed.RunAsync(rest, full.Positions[k]).WaitAsync(SourceRun.Timeout);
            Assert.True(full.Events.Skip(k + 1).SequenceEqual(rest.Events), $"resume after record {k}");
            Assert.True(full.Positions.Skip(k + 1).SequenceEqual(rest.Positions), $"positions after record {k}");
            Assert.Equal(["id,qty,price"], headers);
        }
    }

    [Fact]
    public async Task Resume_KeepsPhysicalLineNumbersInErrors()
    {
        // [0,13) header, [13,19) "1,2,3\n" line 2, [19,25) "4,5,6\n" line 3, [25,31) "7,y,9\n" line 4.
        using var file = new TempFile("rows.csv", Encoding.ASCII.GetBytes("id,qty,price\n1,2,3\n4,5,6\n7,y,9\n"));
        var source = new FileSource<Row, RowParser>(file.FilePath, new SourceOptions { HasHeader = true }, new RowParser([]));
        var target = new CollectingTarget<Row>();
        var ex = await Assert.ThrowsAsync<BadRecordException>(() => source.RunAsync(target, 19).WaitAsync(SourceRun.Timeout));
        Assert.Equal((4L, 25L, "qty"), (ex.Line, ex.BytePosition, ex.Column));
        Assert.Equal([new Row(4, 5, 6)], target.Events);
    }

    [Fact]
    public async Task Resume_InsideARecord_IsRejected()
    {
        using var file = new TempFile("rows.csv", Encoding.ASCII.GetBytes("1,2,3\n4,5,6\n"));
        var source = new FileSource<Row, RowParser>(file.FilePath);
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => source.RunAsync(new CollectingTarget<Row>(), 8).WaitAsync(SourceRun.Timeout));
        Assert.Contains("rows.csv: byte 8 is not a record boundary", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => source.RunAsync(new CollectingTarget<Row>(), 13).WaitAsync(SourceRun.Timeout));
    }

    [Fact]
    public async Task Resume_AtTheEnd_ReadsNothing()
    {
        using var file = new TempFile("rows.csv", Encoding.ASCII.GetBytes("1,2,3\n4,5,6\n"));
        var source = new FileSource<Row, RowParser>(file.FilePath);
        var target = new CollectingTarget<Row>();
        await source.RunAsync(target, 12).WaitAsync(SourceRun.Timeout);
        Assert.Empty(target.Events);
        Assert.Equal(12, source.Position);
    }

    [Fact]
    public async Task LargeFile_AcrossManyReads_AllRecordsInOrder()
    {
        const int rows = 50_000;
        using var file = new TempFile("big.csv", Csv(rows, crlf: false));
        var source = new FileSource<Row, RowParser>(file.FilePath, new SourceOptions { HasHeader = true, ReadBufferSize = 4096 }, new RowParser([]));
        var target = new CollectingTarget<Row>();
        await source.RunAsync(target).WaitAsync(SourceRun.Timeout);
        Assert.Equal(rows, target.Events.Count);
        for (var i = 0; i < rows; i++) Assert.Equal(new Row(i + 1, (i + 1) % 7, (i + 1) * 13L), target.Events[i]);
        Assert.Equal(rows, source.Progress.RecordsRead);
        Assert.Equal(new FileInfo(file.FilePath).Length, source.Progress.BytesRead);
        Assert.True(target.BatchSizes.All(n => n is > 0 and <= 1024));
    }

    [Fact]
    public async Task StreamSource_NamesItselfInErrors()
    {
        var stream = new MemoryStream(Encoding.ASCII.GetBytes("1,2,3\n1,2\n"));
        var source = new StreamSource<Row, RowParser>(stream, "stdin");
        var ex = await Assert.ThrowsAsync<BadRecordException>(() => source.RunAsync(new CollectingTarget<Row>()).WaitAsync(SourceRun.Timeout));
        Assert.Equal("stdin: line 2, byte 6: column 'price': missing column", ex.Message);
    }

    [Fact]
    public async Task Resume_BinaryFrames_FromEveryReportedPosition_ReadsExactlyTheRemainingFrames()
    {
        var stream = new MemoryStream();
        for (var i = 0; i < 30; i++)
        {
            stream.Write(BitConverter.GetBytes((uint)(i % 5)));
            for (var j = 0; j < i % 5; j++) stream.WriteByte((byte)('a' + i));
        }
        using var file = new TempFile("frames.bin", stream.ToArray());
        var options = new SourceOptions { Framing = RecordFraming.LengthPrefixed, BatchSize = 4 };
        var full = new CollectingTarget<FrameRow>();
        await new FileSource<FrameRow, FrameRowParser>(file.FilePath, options).RunAsync(full).WaitAsync(SourceRun.Timeout);
        Assert.Equal(30, full.Events.Count);
        for (var k = 0; k < 30; k++)
        {
            var rest = new CollectingTarget<FrameRow>();
            await new FileSource<FrameRow, FrameRowParser>(file.FilePath, options).RunAsync(rest, full.Positions[k]).WaitAsync(SourceRun.Timeout);
            Assert.True(full.Events.Skip(k + 1).SequenceEqual(rest.Events), $"resume after frame {k}");
            Assert.True(full.Positions.Skip(k + 1).SequenceEqual(rest.Positions), $"positions after frame {k}");
        }
    }

    [Theory]
    [InlineData(RecordFraming.Lines)]
    [InlineData(RecordFraming.LengthPrefixed)]
    public async Task Resume_BeyondTheEnd_IsRejectedNamingTheFileLength(RecordFraming framing)
    {
        using var file = new TempFile("rows.csv", Encoding.ASCII.GetBytes("1,2,3\n"));
        var source = new FileSource<Row, RowParser>(file.FilePath, new SourceOptions { Framing = framing });
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => source.RunAsync(new CollectingTarget<Row>(), 7).WaitAsync(SourceRun.Timeout));
        Assert.Contains("rows.csv: resume position 7 is beyond the end of the file (6 bytes)", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => source.RunAsync(new CollectingTarget<Row>(), -1).WaitAsync(SourceRun.Timeout));
    }

    [Theory]
    [InlineData(0, 1024, 65536, "MaxRecordLength")]
    [InlineData((256 << 20) + 1, 1024, 65536, "MaxRecordLength")]
    [InlineData(100, 0, 65536, "BatchSize")]
    [InlineData(100, 1024, 0, "ReadBufferSize")]
    public void Options_OutOfRange_AreRejectedNamingTheSetting(int maxRecordLength, int batchSize, int readBufferSize, string setting)
    {
        var options = new SourceOptions { MaxRecordLength = maxRecordLength, BatchSize = batchSize, ReadBufferSize = readBufferSize };
        var ex = Assert.Throws<ArgumentException>(() => new StreamSource<Row, RowParser>(new MemoryStream(), "x", options));
        Assert.Equal(setting, ex.ParamName);
    }
}
