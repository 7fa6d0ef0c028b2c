using System.Buffers;
using System.Text;
using Kernel.Checkpoints;
using Kernel.Sinks;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sinks;

public sealed class TransactionalFileSinkTests : IDisposable
{
    private const string Header = "seq,value";
    private readonly TempDirectory _dir = new("filesink");

    public void Dispose() => _dir.Dispose();

    private string Output => Path.Combine(_dir.Path, "out.csv");

    private static readonly IRowFormatter<long> s_csv = RowFormatter.Create<long>(Header, static (in long row, IBufferWriter<byte> output) =>
    {
        // "<row>,<row*2>\n" without allocating.
        var span = output.GetSpan(48);
        row.TryFormat(span, out var a, default, System.Globalization.CultureInfo.InvariantCulture);
        span[a++] = (byte)',';
        (row * 2).TryFormat(span[a..], out var b, default, System.Globalization.CultureInfo.InvariantCulture);
        span[a + b] = (byte)'\n';
        output.Advance(a + b + 1);
    });

    private static string Line(long row) => $"{row},{row * 2}\n";

    private static string Csv(IEnumerable<long> rows) => Header + "\n" + string.Concat(rows.Select(Line));

    private async Task<TransactionalFileSink<long>> OpenAsync(Func<long, bool>? committed = null)
    {
        var sink = new TransactionalFileSink<long>(Output, s_csv);
        await sink.RecoverAsync(committed ?? (_ => false), CancellationToken.None);
        return sink;
    }

    private static async Task EpochAsync(TransactionalFileSink<long> sink, long epoch, IEnumerable<long> rows, bool commit = true)
    {
        foreach (var row in rows) sink.Write(row);
        sink.SealEpoch(epoch);
        await sink.PreCommitAsync(epoch, CancellationToken.None);
        if (commit) await sink.CommitAsync(epoch, CancellationToken.None);
    }

    private string[] StagedFiles() => [.. Directory.EnumerateFiles(_dir.Path, "*.staged").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task Commit_ManyEpochs_OutputIsOneCsvWithEveryRowOnce()
    {
        using var sink = await OpenAsync();
        for (var epoch = 1; epoch <= 20; epoch++)
            await EpochAsync(sink, epoch, Enumerable.Range((epoch - 1) * 7, 7).Select(i => (long)i));
        Assert.Equal(Csv(Enumerable.Range(0, 140).Select(i => (long)i)), File.ReadAllText(Output));
        Assert.Equal(20, sink.LastCommittedEpoch);
        Assert.Empty(StagedFiles());
    }

    [Fact]
    public async Task Abort_DiscardsTheEpoch_OthersStayInOrder()
    {
        using var sink = await OpenAsync();
        var expected = new List<long>();
        for (var epoch = 1; epoch <= 6; epoch++)
        {
            var rows = Enumerable.Range(epoch * 100, 3).Select(i => (long)i).ToArray();
            var aborted = epoch is 2 or 5;
            await EpochAsync(sink, epoch, rows, commit: !aborted);
            if (aborted) await sink.AbortAsync(epoch, CancellationToken.None);
            else expected.AddRange(rows);
        }
        Assert.Equal(Csv(expected), File.ReadAllText(Output));
        Assert.Empty(StagedFiles());
    }

    [Fact]
    public async Task PreCommit_StagesDurably_ButShowsNothing()
    {
        using var sink = await OpenAsync();
        await EpochAsync(sink, 1, [1, 2, 3], commit: false);
        Assert.Equal(Header + "\n", File.ReadAllText(Output));
        Assert.Equal(["out.csv.epoch-1.staged"], StagedFiles());
        Assert.Equal(Line(1) + Line(2) + Line(3), File.ReadAllText(sink.GetStagedPath(1)));
    }

    [Fact]
    public async Task PreCommit_WithoutSeal_SealsWhatWasWritten()
    {
        using var sink = await OpenAsync();
        sink.Write(5);
        await sink.PreCommitAsync(1, CancellationToken.None);
        sink.Write(6);
        await sink.CommitAsync(1, CancellationToken.None);
        Assert.Equal(Csv([5]), File.ReadAllText(Output));
    }

    [Fact]
    public async Task Commit_OfALaterEpoch_CommitsEarlierPendingOnesInOrder()
    {
        using var sink = await OpenAsync();
        await EpochAsync(sink, 1, [1], commit: false);
        await EpochAsync(sink, 2, [2], commit: false);
        await sink.CommitAsync(2, CancellationToken.None);
        await sink.CommitAsync(2, CancellationToken.None);
        Assert.Equal(Csv([1, 2]), File.ReadAllText(Output));
    }

    [Fact]
    public async Task Commit_ThatFailedAfterAppending_IsRetriedByTheNext_EachRowOnce()
    {
        // docs/checkpoints.md: a commit that failed is retried by the next one. Here epoch 1's rows reach the output,
        // then its commit record cannot be written (a directory where its temporary file goes).
        using var sink = await OpenAsync();
        await EpochAsync(sink, 1, [1, 2], commit: false);
        var blocker = Output + ".commit.tmp";
        Directory.CreateDirectory(blocker);
        var failure = await Record.ExceptionAsync(() => sink.CommitAsync(1, CancellationToken.None).AsTask());
        Assert.True(failure is IOException or UnauthorizedAccessException, $"failure: {failure}");
        Assert.Equal(0, sink.LastCommittedEpoch);

        Directory.Delete(blocker);
        await EpochAsync(sink, 2, [3]);

        Assert.Equal(Csv([1, 2, 3]), File.ReadAllText(Output));
        Assert.Equal(2, sink.LastCommittedEpoch);
        Assert.Empty(StagedFiles());
    }

    [Fact]
    public async Task Recover_CommitsStagedEpochsWithAManifest_DiscardsTheRest()
    {
        using (var crashed = await OpenAsync())
        {
            await EpochAsync(crashed, 1, [1, 2]);
            await EpochAsync(crashed, 2, [3, 4], commit: false); // manifest written, then a crash before commit
            await EpochAsync(crashed, 3, [5, 6], commit: false); // pre-committed, no manifest
            crashed.Write(7);                                     // open, never sealed
            crashed.Write(8);
        }
        Assert.Equal(["out.csv.epoch-2.staged", "out.csv.epoch-3.staged"], StagedFiles());

        using var sink = await OpenAsync(epoch => epoch <= 2);
        Assert.Equal(Csv([1, 2, 3, 4]), File.ReadAllText(Output));
        Assert.Empty(StagedFiles());
        Assert.False(File.Exists(Output + ".open.staged"));
        await EpochAsync(sink, 4, [9]);
        Assert.Equal(Csv([1, 2, 3, 4, 9]), File.ReadAllText(Output));
    }

    [Fact]
    public async Task Recover_AfterATornAppend_CutsItAndCommitsTheEpochOnce()
    {
        using (var crashed = await OpenAsync())
        {
            await EpochAsync(crashed, 1, [1, 2]);
            await EpochAsync(crashed, 2, [3, 4], commit: false);
        }
        // A crash mid-commit: half of epoch 2 reached the output, the commit record did not change.
        File.AppendAllText(Output, "3,6\n4,");
        using var sink = await OpenAsync(_ => true);
        Assert.Equal(Csv([1, 2, 3, 4]), File.ReadAllText(Output));
    }

    [Fact]
    public async Task Recover_StagedEpochTheRecordCovers_IsDeletedNotAppendedAgain()
    {
        using (var crashed = await OpenAsync())
        {
            await EpochAsync(crashed, 1, [1, 2], commit: false);
            File.Copy(crashed.GetStagedPath(1), Output + ".keep");
            await crashed.CommitAsync(1, CancellationToken.None);
        }
        // A crash after the commit record, before the staged file was deleted.
        File.Move(Output + ".keep", Path.Combine(_dir.Path, "out.csv.epoch-1.staged"));
        using var sink = await OpenAsync(_ => true);
        Assert.Equal(Csv([1, 2]), File.ReadAllText(Output));
        Assert.Empty(StagedFiles());
    }

    [Fact]
    public async Task Recover_OutputWithoutCommitRecord_RefusesToOverwriteIt()
    {
        File.WriteAllText(Output, "someone else's data\n");
        var sink = new TransactionalFileSink<long>(Output, s_csv);
        var e = await Assert.ThrowsAsync<IOException>(() => sink.RecoverAsync(_ => false, CancellationToken.None).AsTask());
        Assert.Contains(Output, e.Message, StringComparison.Ordinal);
        Assert.Equal("someone else's data\n", File.ReadAllText(Output));
    }

    [Fact]
    public async Task Recover_OutputHoldingAHeaderPrefixWithoutRecord_StartsOver()
    {
        File.WriteAllText(Output, "seq,va"); // a crash while the header was written
        using var sink = await OpenAsync();
        await EpochAsync(sink, 1, [1]);
        Assert.Equal(Csv([1]), File.ReadAllText(Output));
    }

    [Fact]
    public async Task Recover_CorruptCommitRecord_ThrowsNamingTheFile()
    {
        using (var first = await OpenAsync()) await EpochAsync(first, 1, [1]);
        var record = File.ReadAllBytes(Output + ".commit");
        record[10] ^= 1;
        File.WriteAllBytes(Output + ".commit", record);
        var sink = new TransactionalFileSink<long>(Output, s_csv);
        var e = await Assert.ThrowsAsync<CheckpointFormatException>(() => sink.RecoverAsync(_ => false, CancellationToken.None).AsTask());
        Assert.Equal(Output + ".commit", e.Path);
    }

    [Fact]
    public async Task Recover_OutputDeletedButRecordKept_ThrowsNamingBothFiles()
    {
        using (var first = await OpenAsync()) await EpochAsync(first, 1, [1]);
        File.Delete(Output);
        var sink = new TransactionalFileSink<long>(Output, s_csv);
        var e = await Assert.ThrowsAsync<IOException>(() => sink.RecoverAsync(_ => false, CancellationToken.None).AsTask());
        Assert.Contains(Output + ".commit", e.Message, StringComparison.Ordinal);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonLines_HaveNoHeader()
    {
        var path = Path.Combine(_dir.Path, "out.jsonl");
        using var sink = new TransactionalFileSink<long>(path, RowFormatter.FromText<long>(null, r => $"{{\"seq\":{r}}}"));
        await sink.RecoverAsync(_ => false, CancellationToken.None);
        await EpochAsync(sink, 1, [1, 2]);
        Assert.Equal("{\"seq\":1}\n{\"seq\":2}\n", File.ReadAllText(path));
    }

    [Fact]
    public void Write_BeforeRecover_Throws()
    {
        using var sink = new TransactionalFileSink<long>(Output, s_csv);
        var e = Assert.Throws<InvalidOperationException>(() => sink.Write(1));
        Assert.Contains("RecoverAsync", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SealEpoch_NotIncreasing_Throws()
    {
        using var sink = await OpenAsync();
        await EpochAsync(sink, 3, [1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => sink.SealEpoch(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => sink.SealEpoch(2));
    }

    [Fact]
    public async Task Epoch_LargerThanTheBuffer_IsWrittenWhole()
    {
        using var sink = await OpenAsync();
        var rows = Enumerable.Range(0, 20_000).Select(i => (long)i * 1_000_003).ToArray();
        await EpochAsync(sink, 1, rows);
        Assert.Equal(Csv(rows), File.ReadAllText(Output));
        Assert.True(new FileInfo(Output).Length > 128 * 1024);
    }

    [Fact]
    public async Task Write_DoesNotAllocatePerRow()
    {
        using var sink = await OpenAsync();
        for (var i = 0; i < 50_000; i++) sink.Write(i); // warm up, including a flush of the staged file
        var passes = 1;
        var allocated = Allocations.SteadyState(() =>
        {
            for (var i = 0; i < 50_000; i++) sink.Write(i);
            passes++;
        });
        Assert.True(allocated < 50_000 / 10, $"{allocated} bytes for 50000 rows");
        await EpochAsync(sink, 1, []);
        Assert.Equal(Encoding.UTF8.GetByteCount(Csv(Enumerable.Range(0, 50_000).Select(i => (long)i)).Replace(Header + "\n", "", StringComparison.Ordinal)) * passes + Header.Length + 1,
            new FileInfo(Output).Length);
    }
}
