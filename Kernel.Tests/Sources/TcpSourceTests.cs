using System.Net;
using System.Net.Sockets;
using System.Text;
using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

public sealed class TcpSourceTests
{
    private static async Task SendAsync(int port, string text)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var bytes = Encoding.ASCII.GetBytes(text);
        // Several small writes, so records arrive split across reads.
        for (var i = 0; i < bytes.Length; i += 7) await stream.WriteAsync(bytes.AsMemory(i, Math.Min(7, bytes.Length - i)));
        client.Client.Shutdown(SocketShutdown.Send);
    }

    private static string Rows(int connection, int count)
    {
        var sb = new StringBuilder("id,qty,price\r\n");
        for (var i = 1; i <= count; i++) sb.Append(connection * 1000 + i).Append(',').Append(connection).Append(",5\r\n");
        return sb.ToString();
    }

    [Fact]
    public async Task Loopback_TwoConnections_EachStreamOfRecordsArrivesInOrder()
    {
        var headers = new List<string>();
        using var source = TcpSource<Row, RowParser>.Listen(new IPEndPoint(IPAddress.Loopback, 0), new SourceOptions { HasHeader = true }, new RowParser(headers));
        var target = new CollectingTarget<Row>(expectedCount: 300);
        using var cts = new CancellationTokenSource();
        var run = source.RunAsync(target, cts.Token);

        await Task.WhenAll(SendAsync(source.Port, Rows(1, 100)), SendAsync(source.Port, Rows(2, 200))).WaitAsync(SourceRun.Timeout);
        await target.Reached.WaitAsync(SourceRun.Timeout);
        cts.Cancel();
        await run.WaitAsync(SourceRun.Timeout);

        Assert.Equal(300, target.Events.Count);
        Assert.Equal(Enumerable.Range(1001, 100).Select(i => (long)i), target.Events.Where(e => e.Qty == 1).Select(e => e.Id));
        Assert.Equal(Enumerable.Range(2001, 200).Select(i => (long)i), target.Events.Where(e => e.Qty == 2).Select(e => e.Id));
        Assert.Equal(["id,qty,price", "id,qty,price"], headers);
        Assert.Equal(2, source.ConnectionsAccepted);
        Assert.Equal(0, source.ConnectionsFaulted);
        Assert.Equal(300, source.Progress.RecordsRead);
        Assert.Equal("tcp:" + source.Port, source.Name);
    }

    [Fact]
    public async Task Loopback_BadRecordUnderFail_ClosesOnlyThatConnection()
    {
        using var source = TcpSource<Row, RowParser>.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var ended = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.ConnectionEnded = e => ended.TrySetResult(e);
        var target = new CollectingTarget<Row>(expectedCount: 2);
        using var cts = new CancellationTokenSource();
        var run = source.RunAsync(target, cts.Token);

        // [0,6) "1,1,1\n" line 1; [6,12) "2,z,2\n" line 2, bad qty at byte 6.
        await SendAsync(source.Port, "1,1,1\n2,z,2\n3,3,3\n").WaitAsync(SourceRun.Timeout);
        var error = await ended.Task.WaitAsync(SourceRun.Timeout);
        var bad = Assert.IsType<BadRecordException>(error);
        Assert.Equal(("tcp:" + source.Port, 2L, 6L, "qty", "z"), (bad.SourceName, bad.Line, bad.BytePosition, bad.Column, bad.Value));

        // The listener still serves new connections.
        await SendAsync(source.Port, "4,4,4\n").WaitAsync(SourceRun.Timeout);
        await target.Reached.WaitAsync(SourceRun.Timeout);
        cts.Cancel();
        await run.WaitAsync(SourceRun.Timeout);
        Assert.Equal([new Row(1, 1, 1), new Row(4, 4, 4)], target.Events);
        Assert.Equal(1, source.ConnectionsFaulted);
        Assert.Same(error, source.LastConnectionError);
    }

    /// <summary>Counts calls in flight at once (each takes a few ms) and can throw from its first call.</summary>
    private sealed class SerialCheckingTarget(bool throwFirst, int expectedCount) : ISourceTarget<Row>
    {
        private readonly object _gate = new();
        private int _inFlight;
        private int _calls;

        public int MaxInFlight { get; private set; }

        public List<Row> Events { get; } = [];

        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask PublishAsync(ReadOnlyMemory<Row> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
        {
            var inFlight = Interlocked.Increment(ref _inFlight);
            lock (_gate) MaxInFlight = Math.Max(MaxInFlight, inFlight);
            try
            {
                if (Interlocked.Increment(ref _calls) == 1 && throwFirst) throw new InvalidOperationException("the target failed");
                await Task.Delay(3, cancellationToken);
                lock (_gate)
                {
                    Events.AddRange(events.Span);
                    if (Events.Count >= expectedCount) Reached.TrySetResult();
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    [Fact]
    public async Task Loopback_ConnectionsPublishOneBatchAtATime_SoTheTargetNeedsNoLocking()
    {
        // docs/sources.md: connections publish one batch at a time (the target does not need to be thread-safe).
        using var source = TcpSource<Row, RowParser>.Listen(new IPEndPoint(IPAddress.Loopback, 0), new SourceOptions { HasHeader = true, BatchSize = 8 });
        var target = new SerialCheckingTarget(throwFirst: false, expectedCount: 600);
        using var cts = new CancellationTokenSource();
        var run = source.RunAsync(target, cts.Token);

        await Task.WhenAll(SendAsync(source.Port, Rows(1, 300)), SendAsync(source.Port, Rows(2, 300))).WaitAsync(SourceRun.Timeout);
        await target.Reached.Task.WaitAsync(SourceRun.Timeout);
        cts.Cancel();
        await run.WaitAsync(SourceRun.Timeout);

        Assert.Equal(1, target.MaxInFlight);
        Assert.Equal(600, target.Events.Count);
    }

    [Fact]
    public async Task Loopback_TargetThrows_EndsOnlyThatConnection_AndTheNextIsServed()
    {
        using var source = TcpSource<Row, RowParser>.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var ended = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.ConnectionEnded = e => ended.TrySetResult(e);
        var target = new SerialCheckingTarget(throwFirst: true, expectedCount: 1);
        using var cts = new CancellationTokenSource();
        var run = source.RunAsync(target, cts.Token);

        await SendAsync(source.Port, "1,1,1\n").WaitAsync(SourceRun.Timeout);
        var error = await ended.Task.WaitAsync(SourceRun.Timeout);
        Assert.IsType<InvalidOperationException>(error);
        await SendAsync(source.Port, "2,2,2\n").WaitAsync(SourceRun.Timeout);   // the one-at-a-time gate was released
        await target.Reached.Task.WaitAsync(SourceRun.Timeout);
        cts.Cancel();
        await run.WaitAsync(SourceRun.Timeout);

        Assert.Equal([new Row(2, 2, 2)], target.Events);
        Assert.Equal(1, source.ConnectionsFaulted);
        Assert.Equal(2, source.ConnectionsAccepted);
    }
}
