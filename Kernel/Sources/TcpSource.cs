using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kernel.Sources;

/// <summary>
/// A TCP listener whose connections are each a stream of records. Every connection gets its own
/// read loop and its own copy of the parser (header included); their batches reach the one
/// target one at a time. Errors name the source <c>tcp:port</c>; positions are byte offsets
/// within a connection.
/// </summary>
/// <remarks>
/// A connection that fails (a bad record under <see cref="BadRecordPolicy.Fail"/>, a reset) is
/// closed and counted in <see cref="ConnectionsFaulted"/> with its error in
/// <see cref="LastConnectionError"/>; the listener keeps serving the others. Dispose (or cancel
/// <see cref="RunAsync"/>) to stop listening.
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="TParser">The record parser, a struct: called directly, never through an interface.</typeparam>
public sealed class TcpSource<T, TParser> : IDisposable
    where TParser : struct, IRecordParser<T>
{
    private readonly SourceOptions _options;
    private readonly TParser _parser;
    private readonly TcpListener _listener;
    // Both: Interlocked.Increment by connection tasks, Volatile.Read by observers.
    private int _accepted;
    private int _faulted;
    // Replaced with Volatile.Write by a failing connection.
    private Exception? _lastConnectionError;

    private TcpSource(TcpListener listener, SourceOptions options, TParser parser)
    {
        _listener = listener;
        _options = options;
        _parser = parser;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Name = "tcp:" + Port.ToString(CultureInfo.InvariantCulture);
        Progress = new SourceProgress(Name);
    }

    /// <summary>Binds and starts listening on <paramref name="endpoint"/> (port 0 picks a free port; see <see cref="Port"/>).</summary>
    /// <param name="endpoint">The address and port to listen on.</param>
    /// <param name="options">Framing, batching and the bad-record policy; null for the defaults.</param>
    /// <param name="parser">The parser, in its initial state; each connection gets a copy.</param>
    /// <returns>The listening source.</returns>
    public static TcpSource<T, TParser> Listen(IPEndPoint endpoint, SourceOptions? options = null, TParser parser = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= SourceOptions.Default;
        options.Validate();
        var listener = new TcpListener(endpoint);
        listener.Start();
        return new TcpSource<T, TParser>(listener, options, parser);
    }

    /// <summary>The port the listener is bound to.</summary>
    public int Port { get; }

    /// <summary>The name errors and metrics use: <c>tcp:port</c>.</summary>
    public string Name { get; }

    /// <summary>Bytes and records read over all connections, bad records, rates.</summary>
    public SourceProgress Progress { get; }

    /// <summary>Connections accepted so far.</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _accepted);

    /// <summary>Connections that ended with an error.</summary>
    public int ConnectionsFaulted => Volatile.Read(ref _faulted);

    /// <summary>
    /// Called when a connection has ended, with the error that ended it or null when it reached
    /// its end of input (or the listener stopped). Runs on the connection's thread; keep it short.
    /// </summary>
    public Action<Exception?>? ConnectionEnded { get; set; }

    /// <summary>The error that ended the most recent faulted connection, or null.</summary>
    public Exception? LastConnectionError => Volatile.Read(ref _lastConnectionError);

    /// <summary>
    /// Accepts connections and reads each to its end, until <paramref name="cancellationToken"/>
    /// is cancelled; then stops listening, cancels the open connections and returns.
    /// </summary>
    /// <typeparam name="TTarget">The target type; it sees one batch at a time.</typeparam>
    /// <param name="target">Where the batches of every connection go.</param>
    /// <param name="cancellationToken">Stops the listener.</param>
    /// <returns>A task that completes when the listener and all its connections have stopped.</returns>
    public async Task RunAsync<TTarget>(TTarget target, CancellationToken cancellationToken)
        where TTarget : ISourceTarget<T>
    {
        using var deadLetter = SourcePipes.CreateDeadLetter(_options);
        var serialized = new SerializedTarget<T, TTarget>(target);
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                Interlocked.Increment(ref _accepted);
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(ServeAsync(socket, serialized, deadLetter, cancellationToken));
            }
        }
        finally
        {
            _listener.Stop();
            await Task.WhenAll(connections).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync<TTarget>(Socket socket, TTarget target, DeadLetterWriter? deadLetter, CancellationToken cancellationToken)
        where TTarget : ISourceTarget<T>
    {
        await Task.Yield();
        Exception? error = null;
        try
        {
            var stream = new NetworkStream(socket, ownsSocket: true);
            var loop = new RecordReadLoop<T, TParser>(Name, _options, _parser, Progress, deadLetter, 0, 1, _options.HasHeader);
            await loop.RunAsync(stream, leaveOpen: false, target, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The listener is stopping: the connection ends with it.
        }
#pragma warning disable CA1031 // A connection's failure must not take the listener (or the process) down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
            Interlocked.Increment(ref _faulted);
            Volatile.Write(ref _lastConnectionError, ex);
        }
        ConnectionEnded?.Invoke(error);
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Dispose();
}
