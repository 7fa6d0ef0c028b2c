using System.Text;
using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

public sealed class BadRecordPolicyTests
{
    // Hand-computed layout (byte offsets):
    //   [0,13)  "id,qty,price\n"  line 1, header
    //   [13,19) "1,2,3\n"         line 2 -> (1,2,3), position 19
    //   [19,25) "4,x,6\n"         line 3: column qty, value "x", not an integer
    //   [25,31) "7,8,9\n"         line 4 -> (7,8,9), position 31
    //   [31,37) "10,11\n"         line 5: column price missing
    //   [37,46) "12,13,14\n"      line 6 -> (12,13,14), position 46
    private static readonly byte[] s_orders = Encoding.ASCII.GetBytes("id,qty,price\n1,2,3\n4,x,6\n7,8,9\n10,11\n12,13,14\n");

    [Fact]
    public async Task Fail_StopsAtTheFirstBadRecord_WithFileLineByteColumnAndValue()
    {
        using var file = new TempFile("orders.csv", s_orders);
        var source = new FileSource<Row, RowParser>(file.FilePath, new SourceOptions { HasHeader = true }, new RowParser([]));
        var target = new CollectingTarget<Row>();
        var ex = await Assert.ThrowsAsync<BadRecordException>(() => source.RunAsync(target).WaitAsync(SourceRun.Timeout));
        Assert.Equal(("orders.csv", 3L, 19L, "qty", "x"), (ex.SourceName, ex.Line, ex.BytePosition, ex.Column, ex.Value));
        Assert.Equal("orders.csv: line 3, byte 19: column 'qty' value \"x\": not an integer", ex.Message);
        // The good record before it was published, and the source can resume right at the bad one.
        Assert.Equal([new Row(1, 2, 3)], target.Events);
        Assert.Equal(19, source.Position);
        Assert.Equal(1, source.Progress.BadRecords);
    }

    [Fact]
    public async Task SkipAndCount_SkipsBothBadRecords_AndCountsThem()
    {
        using var file = new TempFile("orders.csv", s_orders);
        var source = new FileSource<Row, RowParser>(file.FilePath,
            new SourceOptions { HasHeader = true, BadRecordPolicy = BadRecordPolicy.SkipAndCount }, new RowParser([]));
        var target = new CollectingTarget<Row>();
        await source.RunAsync(target).WaitAsync(SourceRun.Timeout);
        Assert.Equal([new Row(1, 2, 3), new Row(7, 8, 9), new Row(12, 13, 14)], target.Events);
        Assert.Equal([19L, 31L, 46L], target.Positions);
        Assert.Equal(2, source.Progress.BadRecords);
        Assert.Equal(3, source.Progress.RecordsRead);
        Assert.Equal(46, source.Progress.BytesRead);
        Assert.Equal(46, source.Position);
        var last = source.Progress.LastBadRecord!;
        Assert.Equal(("orders.csv", 5L, 31L, "price", (string?)null), (last.Source, last.Line, last.BytePosition, last.Column, last.Value));
    }

    [Fact]
    public async Task DeadLetter_AppendsEachRawRecordAfterACommentNamingErrorAndPosition()
    {
        using var file = new TempFile("orders.csv", s_orders);
        var deadLetter = file.Sibling("orders.dead");
        var source = new FileSource<Row, RowParser>(file.FilePath,
            new SourceOptions { HasHeader = true, BadRecordPolicy = BadRecordPolicy.DeadLetter, DeadLetterPath = deadLetter }, new RowParser([]));
        var target = new CollectingTarget<Row>();
        await source.RunAsync(target).WaitAsync(SourceRun.Timeout);
        Assert.Equal(3, target.Events.Count);
        Assert.Equal(2, source.Progress.BadRecords);
        var expected =
            "# bad record: source=orders.csv line=3 byte=19 length=5 column=qty value=\"x\" reason=not an integer\n" +
            "4,x,6\n" +
            "# bad record: source=orders.csv line=5 byte=31 length=5 column=price reason=missing column\n" +
            "10,11\n";
        Assert.Equal(expected, File.ReadAllText(deadLetter));
    }

    [Fact]
    public void Options_DeadLetterWithoutPath_IsRejectedNamingTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new FileSource<Row, RowParser>("x.csv", new SourceOptions { BadRecordPolicy = BadRecordPolicy.DeadLetter }));
        Assert.Equal("DeadLetterPath", ex.ParamName);
    }
}
