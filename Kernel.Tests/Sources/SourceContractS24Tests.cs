using System.IO.Pipelines;
using System.Text;
using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

/// <summary>
/// docs/sources.md's claims that no other test pinned down (session 24's audit): a partial batch is published before
/// the loop waits for more input, and the dead-letter file is appended to, created only at the first bad record.
/// </summary>
public sealed class SourceContractS24Tests
{
    private static readonly byte[] s_orders = Encoding.ASCII.GetBytes("id,qty,price\n1,2,3\n4,x,6\n7,8,9\n");

    [Fact]
    public async Task APartialBatch_IsPublishedBeforeTheLoopWaitsForMoreInput()
    {
        // A quiet live feed (TCP, stdin): records must not sit in a half-full batch until more input comes.
        var pipe = new Pipe();
        var target = new CollectingTarget<Row>(expectedCount: 2);
        var loop = new RecordReadLoop<Row, RowParser>("quiet", new SourceOptions(), default, new SourceProgress("quiet"), null, 0, 1, false);
        var run = loop.RunAsync(pipe.Reader, target, CancellationToken.None);

        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("1,2,3\n4,5,6\n7,8"));
        await target.Reached.WaitAsync(SourceRun.Timeout);   // two records of a 1,024-record batch, the writer still open

        Assert.False(run.IsCompleted);
        Assert.Equal([new Row(1, 2, 3), new Row(4, 5, 6)], target.Events);
        Assert.Equal([6L, 12], target.Positions);
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(",9\n"));
        await pipe.Writer.CompleteAsync();
        await run.WaitAsync(SourceRun.Timeout);
        Assert.Equal([new Row(1, 2, 3), new Row(4, 5, 6), new Row(7, 8, 9)], target.Events);
        Assert.Equal(18, loop.Position);
    }

    [Fact]
    public async Task DeadLetterFile_IsAppendedTo_NotReplaced()
    {
        using var file = new TempFile("orders.csv", s_orders);
        var deadLetter = file.Sibling("orders.dead");
        await File.WriteAllTextAsync(deadLetter, "previous run\n");
        var source = new FileSource<Row, RowParser>(file.FilePath,
            new SourceOptions { HasHeader = true, BadRecordPolicy = BadRecordPolicy.DeadLetter, DeadLetterPath = deadLetter }, new RowParser([]));

        await source.RunAsync(new CollectingTarget<Row>()).WaitAsync(SourceRun.Timeout);

        Assert.Equal(
            "previous run\n" +
            "# bad record: source=orders.csv line=3 byte=19 length=5 column=qty value=\"x\" reason=not an integer\n" +
            "4,x,6\n",
            await File.ReadAllTextAsync(deadLetter));
    }

    [Fact]
    public async Task DeadLetterFile_IsNotCreated_WhenNoRecordIsBad()
    {
        using var file = new TempFile("orders.csv", Encoding.ASCII.GetBytes("id,qty,price\n1,2,3\n"));
        var deadLetter = file.Sibling("orders.dead");
        var source = new FileSource<Row, RowParser>(file.FilePath,
            new SourceOptions { HasHeader = true, BadRecordPolicy = BadRecordPolicy.DeadLetter, DeadLetterPath = deadLetter }, new RowParser([]));

        await source.RunAsync(new CollectingTarget<Row>()).WaitAsync(SourceRun.Timeout);

        Assert.False(File.Exists(deadLetter));
    }

    [Fact]
    public async Task DeadLetterFile_ThatCannotBeWritten_StopsTheSourceWithThatIoError()
    {
        using var file = new TempFile("orders.csv", s_orders);
        var deadLetter = Path.Combine(file.Sibling("missing-directory"), "orders.dead");
        var source = new FileSource<Row, RowParser>(file.FilePath,
            new SourceOptions { HasHeader = true, BadRecordPolicy = BadRecordPolicy.DeadLetter, DeadLetterPath = deadLetter }, new RowParser([]));

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => source.RunAsync(new CollectingTarget<Row>()).WaitAsync(SourceRun.Timeout));
    }
}
