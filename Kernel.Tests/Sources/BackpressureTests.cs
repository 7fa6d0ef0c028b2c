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

        public long BytesReadAtBlock { get; private set; }

        /// <summary>The last position of the publish before the blocked one: what the source's position must read while it is blocked.</summary>
        public long PositionBeforeBlock { get; private set; }

        private long _lastPosition;

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
                BytesReadAtBlock = _stream.BytesRead;
                PositionBeforeBlock = _lastPosition;
                Blocked.SetResult();
                await Release.Task;
            }
            _lastPosition = positions.Span[^1];
        }
    }

    [Fact]
    public async Task BlockedTarget_StopsTheReads_AndReadAheadStaysBounded()
    {
        const long rows = 300_000;
        var stream = new GeneratedCsvStream(rows);
        var source = new StreamSource<Row, RowParser>(stream, "gen", new SourceOptions { ReadBufferSize = ReadBufferSize, BatchSize = 64 });
        var target = new GatedTarget(stream, blockAt: 50);
        // The stream and every publish but the blocked one complete synchronously, so RunAsync runs on this
        // thread until its first await that does not complete: the blocked publish. When it returns, the
        // loop has done everything it does before the target releases it. A loop that read on without
        // awaiting the publish, or started its next read before it, has read more than it framed by now.
        var readsElsewhere = stream.CountReadsOffThread();
        var run = source.RunAsync(target);
        var readAtBlock = stream.BytesRead;
        Assert.True(target.Blocked.Task.IsCompleted, "the run went async before the blocking publish (the test's premise: a synchronous stream and target)");
        Assert.False(run.IsCompleted, "the run ended while the target was blocked");
        Assert.InRange(readAtBlock - target.PositionAtBlock, 0, 2 * ReadBufferSize);
        Assert.Equal(target.BytesReadAtBlock, readAtBlock);   // not one read after the blocking publish began
        Assert.Equal(0, readsElsewhere.Count);                // nor on another thread (a read-ahead task)
        // docs/sources.md: the position moves only after a publish completes; a resume from it must not skip the
        // records of the publish still blocked.
        Assert.Equal(target.PositionBeforeBlock, source.Position);
        Assert.True(source.Position < target.PositionAtBlock, $"position {source.Position} counts the blocked publish (ends at {target.PositionAtBlock})");

        readsElsewhere.Stop();
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
