using Kernel.Sinks;

namespace Kernel.Tests.Sinks;

public sealed class LsmResultsTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-results-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly CancellationToken None = CancellationToken.None;

    public record struct Row(long Key, long Window, long Value);

    public readonly struct RowKey : IResultKeySelector<Row, long>
    {
        public long KeyOf(in Row row) => row.Key;

        public long WindowStartOf(in Row row) => row.Window;
    }

    private LsmResultsTable<Row, long, RowKey> Open() => new(Path.Combine(_dir, "results"), "results");

    private static List<Row> All(LsmResultsTable<Row, long, RowKey> t, out long epoch)
    {
        var rows = new List<Row>();
        epoch = t.CopyAll(rows);
        return rows;
    }

    [Fact]
    public async Task Rows_AreInvisibleUntilCommitted_ThenReadByPointAndByKey()
    {
        using var t = Open();
        t.Write(new Row(7, 200, 1));
        t.Write(new Row(7, 100, 2));
        t.Write(new Row(-3, 100, 3));
        t.SealEpoch(1);
        t.Write(new Row(8, 100, 4));          // belongs to epoch 2
        await t.PreCommitAsync(1, None);
        Assert.Empty(All(t, out var before));
        Assert.Equal(0, before);
        Assert.False(t.TryGet(7, 100, out _, out _));

        await t.CommitAsync(1, None);
        Assert.Equal(1, t.CommittedEpoch);
        Assert.True(t.TryGet(7, 100, out var row, out var epoch));
        Assert.Equal(new Row(7, 100, 2), row);
        Assert.Equal(1, epoch);
        var seven = new List<Row>();
        Assert.Equal(1, t.CopyKey(7, seven));
        Assert.Equal([new Row(7, 100, 2), new Row(7, 200, 1)], seven);                       // window order
        Assert.Equal([new Row(-3, 100, 3), new Row(7, 100, 2), new Row(7, 200, 1)], All(t, out _));  // key order, negatives first
        Assert.False(t.TryGet(8, 100, out _, out _));
    }

    [Fact]
    public async Task Upsert_ByKeyAndWindow_LaterEpochWins_AndRepeatedCommitIsHarmless()
    {
        using var t = Open();
        t.Write(new Row(1, 0, 10));
        t.SealEpoch(1);
        t.Write(new Row(1, 0, 11));
        t.Write(new Row(2, 0, 20));
        t.SealEpoch(2);
        await t.PreCommitAsync(1, None);
        await t.PreCommitAsync(2, None);
        await t.CommitAsync(2, None);     // commits 1 and 2, in order
        await t.CommitAsync(2, None);
        await t.CommitAsync(1, None);     // an older commit does not move the epoch back
        Assert.Equal([new Row(1, 0, 11), new Row(2, 0, 20)], All(t, out var epoch));
        Assert.Equal(2, epoch);
    }

    [Fact]
    public async Task Abort_DropsTheEpoch_OthersCommit()
    {
        using var t = Open();
        t.Write(new Row(1, 0, 1));
        t.SealEpoch(1);
        await t.PreCommitAsync(1, None);
        await t.AbortAsync(1, None);
        t.Write(new Row(2, 0, 2));
        t.SealEpoch(2);
        t.Write(new Row(3, 0, 3));
        t.SealEpoch(3);
        await t.AbortAsync(3, None);      // aborted before its pre-commit: its rows go too
        await t.PreCommitAsync(2, None);
        await t.CommitAsync(3, None);
        Assert.Equal([new Row(2, 0, 2)], All(t, out _));
    }

    [Fact]
    public async Task PreCommit_WithoutSeal_TakesEverythingWrittenSoFar()
    {
        using var t = Open();
        t.Write(new Row(5, 0, 5));
        await t.PreCommitAsync(4, None);
        await t.CommitAsync(4, None);
        Assert.Equal([new Row(5, 0, 5)], All(t, out var epoch));
        Assert.Equal(4, epoch);
    }

    [Fact]
    public async Task Recover_AfterReopen_CommitsStagedEpochsWhoseCheckpointCompleted_DropsTheRest()
    {
        using (var t = Open())
        {
            t.Write(new Row(1, 0, 1));
            t.SealEpoch(1);
            await t.PreCommitAsync(1, None);
            await t.CommitAsync(1, None);
            t.Write(new Row(2, 0, 2));
            t.SealEpoch(2);
            await t.PreCommitAsync(2, None);   // manifest 2 written, then the process stopped before commit
            t.Write(new Row(3, 0, 3));
            t.SealEpoch(3);
            await t.PreCommitAsync(3, None);   // checkpoint 3 never completed
            t.Write(new Row(4, 0, 4));         // never pre-committed: lost with the process
        }
        using (var t = Open())
        {
            Assert.Equal([new Row(1, 0, 1)], All(t, out var before));
            Assert.Equal(1, before);
            var asked = new List<long>();
            await t.RecoverAsync(e => { asked.Add(e); return e <= 2; }, None);
            Assert.Equal([2L, 3], asked);
            Assert.Equal([new Row(1, 0, 1), new Row(2, 0, 2)], All(t, out var after));
            Assert.Equal(2, after);
            // Nothing stays staged: a later commit does not bring epoch 3's rows back.
            await t.CommitAsync(5, None);
            Assert.Equal(2, All(t, out _).Count);
        }
    }

    [Fact]
    public void Open_Twice_RefusesTheSecondNamingTheDirectory()
    {
        using var t = Open();
        var e = Assert.Throws<IOException>(Open);
        Assert.Contains("results", e.Message, StringComparison.Ordinal);
        Assert.Contains("open in another process", e.Message, StringComparison.Ordinal);
    }
}
