using Kernel.Sinks;

namespace Kernel.Tests.Sinks;

public sealed class CallbackSinkTests
{
    private readonly List<(long Epoch, long[] Rows)> _seen = [];

    private CallbackSink<long> Create() => new("cb", (epoch, rows) => _seen.Add((epoch, rows.ToArray())));

    [Fact]
    public async Task Callback_SeesOnlyCommittedEpochs_InOrder()
    {
        var sink = Create();
        sink.Write(1);
        sink.Write(2);
        sink.SealEpoch(1);
        sink.Write(3);
        await sink.PreCommitAsync(1, CancellationToken.None);
        Assert.Empty(_seen);
        await sink.CommitAsync(1, CancellationToken.None);
        Assert.Equal([(1L, new long[] { 1, 2 })], _seen.Select(s => (s.Epoch, s.Rows)));

        sink.SealEpoch(2);
        await sink.AbortAsync(2, CancellationToken.None);
        sink.Write(4);
        await sink.PreCommitAsync(3, CancellationToken.None);
        await sink.CommitAsync(3, CancellationToken.None);
        await sink.CommitAsync(3, CancellationToken.None);

        Assert.Equal(2, _seen.Count);
        Assert.Equal(3, _seen[1].Epoch);
        Assert.Equal([4L], _seen[1].Rows);
    }

    [Fact]
    public async Task Commit_DeliversEveryPendingEpochUpToIt()
    {
        var sink = Create();
        sink.Write(1);
        sink.SealEpoch(1);
        sink.Write(2);
        sink.SealEpoch(2);
        sink.Write(3);
        sink.SealEpoch(3);
        await sink.CommitAsync(2, CancellationToken.None);
        Assert.Equal([1L, 2], _seen.Select(s => s.Epoch));
        Assert.Equal([2L], _seen[1].Rows);
    }

    [Fact]
    public async Task Recover_DropsEverythingUncommitted()
    {
        var sink = Create();
        sink.Write(1);
        sink.SealEpoch(1);
        sink.Write(2);
        await sink.RecoverAsync(_ => true, CancellationToken.None);
        sink.Write(9);
        sink.SealEpoch(2);
        await sink.CommitAsync(2, CancellationToken.None);
        Assert.Equal([(2L, new long[] { 9 })], _seen.Select(s => (s.Epoch, s.Rows)));
    }
}
