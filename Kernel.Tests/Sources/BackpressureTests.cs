using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

public sealed class BackpressureTests
{
    private const int ReadBufferSize = 4096;

    /// <summary>Blocks the publish numbered <c>blockAt</c> until released; checks the read-ahead at every publish.</summary>
    private sealed class GatedTarget : ISourceTarget<Row>
    {
        private readonly GeneratedCsvStream _stream;
        private readonly int _blockAt;
        private int _publishes;

        public GatedTarget(GeneratedCsvStream stream, int blockAt)
        {
            _stream = stream;
            _blockAt = blockAt;
        }

        public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Count { get; private set; }

        public long LastId { get; private set; }

        public long MaxReadAhead { get; private set; }

        public long PositionAtBlock { get; private set; }

        public async ValueTask PublishAsync(ReadOnlyMemory<Row> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
        {
            foreach (var e in events.Span)
            {
                Assert.Equal(LastId + 1, e.Id);
                LastId = e.Id;
            }
            Count += events.Length;
            // Bytes pulled from the stream but not yet handed over as events.
            MaxReadAhead = Math.Max(MaxReadAhead, _stream.BytesRead - positions.Span[^1]);
            if (++_publishes == _blockAt)
            {
                PositionAtBlock = positions.Span[^1];
                Blocked.SetResult();
                await Release.Task;
            }
        }
    }

    [Fact]
    public async Task BlockedTarget_StopsTheReads_AndReadAheadStaysBounded()
    {
        const long rows = 300_000;
        var stream = new GeneratedCsvStream(rows);
        var source = new StreamSource<Row, RowParser>(stream, "gen", new SourceOptions { ReadBufferSize = ReadBufferSize, BatchSize = 64 });
        var target = new GatedTarget(stream, blockAt: 50);
        var run = source.RunAsync(target);

        await target.Blocked.Task.WaitAsync(SourceRun.Timeout);
        var readAtBlock = stream.BytesRead;
        var nextRead = stream.Mark();
        // While the target holds the batch the source must not pull from the stream at all.
        var first = await Task.WhenAny(nextRead, run, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.False(first == nextRead, "the source read from the stream while the target was blocked");
        Assert.False(first == run, "the run ended while the target was blocked");
        Assert.Equal(readAtBlock, stream.BytesRead);
        Assert.InRange(readAtBlock - target.PositionAtBlock, 0, 2 * ReadBufferSize);

        target.Release.SetResult();
        await run.WaitAsync(SourceRun.Timeout);
        Assert.Equal(rows, target.Count);
        Assert.Equal(rows, target.LastId);
        Assert.InRange(target.MaxReadAhead, 0, 2 * ReadBufferSize);
        Assert.Equal(stream.BytesRead, source.Position);
    }

    [Fact]
    public async Task Cancellation_WhileTheTargetIsBlocked_EndsTheRun()
    {
        var stream = new GeneratedCsvStream(1_000_000);
        var source = new StreamSource<Row, RowParser>(stream, "gen", new SourceOptions { ReadBufferSize = ReadBufferSize, BatchSize = 64 });
        var target = new CancellableTarget();
        using var cts = new CancellationTokenSource();
        var run = source.RunAsync(target, cts.Token);
        await target.Blocked.Task.WaitAsync(SourceRun.Timeout);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(SourceRun.Timeout));
        Assert.InRange(stream.BytesRead, 1, 2 * ReadBufferSize + 64 * 16);
    }

    private sealed class CancellableTarget : ISourceTarget<Row>
    {
        public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask PublishAsync(ReadOnlyMemory<Row> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
        {
            Blocked.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
