using Kernel.Sources;

namespace Kernel.Modes;

public static partial class BatchRunner
{
    /// <summary>
    /// Runs over a CSV or JSON-lines file read by a <see cref="FileSource{T, TParser}"/> with a
    /// generated parser (<c>Order.Csv.Parser</c>, <c>Order.JsonLines.Parser</c>): the source's batches
    /// (<see cref="SourceOptions.BatchSize"/>) go straight into the operator. Progress counts bytes
    /// against the file's length, so the ETA is known. Bad records follow the source's
    /// <see cref="SourceOptions.BadRecordPolicy"/>.
    /// </summary>
    /// <typeparam name="TEvent">The input event.</typeparam>
    /// <typeparam name="TParser">The record parser (generated).</typeparam>
    /// <typeparam name="TTarget">The operator as a batch target.</typeparam>
    /// <param name="target">The operator as a batch target.</param>
    /// <param name="path">The file.</param>
    /// <param name="sourceOptions">Framing, header, bad-record policy; null for the defaults.</param>
    /// <param name="options">Batch settings (its <see cref="BatchOptions.BatchSize"/> is the source's).</param>
    /// <param name="cancellationToken">Stops the run (the input is then not completed).</param>
    public static Task<BatchResult> RunFileAsync<TEvent, TParser, TTarget>(TTarget target, string path, SourceOptions? sourceOptions = null, BatchOptions? options = null, CancellationToken cancellationToken = default)
        where TParser : struct, IRecordParser<TEvent>
        where TTarget : IBatchTarget<TEvent>
    {
        ArgumentNullException.ThrowIfNull(path);
        return RunFileAsync<TEvent, TParser, TTarget>(target, new FileSource<TEvent, TParser>(path, sourceOptions), options, cancellationToken);
    }

    /// <summary>
    /// Runs over a file source the caller built (to watch its <see cref="FileSource{T, TParser}.Progress"/>
    /// or its bad records as well), from its start to the end of the file.
    /// </summary>
    /// <typeparam name="TEvent">The input event.</typeparam>
    /// <typeparam name="TParser">The record parser (generated).</typeparam>
    /// <typeparam name="TTarget">The operator as a batch target.</typeparam>
    /// <param name="target">The operator as a batch target.</param>
    /// <param name="source">The file source; not run before.</param>
    /// <param name="options">Batch settings.</param>
    /// <param name="cancellationToken">Stops the run (the input is then not completed).</param>
    public static async Task<BatchResult> RunFileAsync<TEvent, TParser, TTarget>(TTarget target, FileSource<TEvent, TParser> source, BatchOptions? options = null, CancellationToken cancellationToken = default)
        where TParser : struct, IRecordParser<TEvent>
        where TTarget : IBatchTarget<TEvent>
    {
        ArgumentNullException.ThrowIfNull(source);
        options = Checked(options);
        var total = new FileInfo(source.FilePath).Length;
        var adapter = new SourceAdapter<TEvent, TTarget>(target, options, total);
        await source.RunAsync(adapter, cancellationToken).ConfigureAwait(false);
        adapter.Meter.Bytes = source.Progress.BytesRead;
        if (options.CompleteAtEnd) adapter.Target.Complete();
        return adapter.Meter.Finish();
    }

    /// <summary>Takes a source's batches into a batch target, counting them for progress.</summary>
    private sealed class SourceAdapter<TEvent, TTarget> : ISourceTarget<TEvent>
        where TTarget : IBatchTarget<TEvent>
    {
        public TTarget Target;
        public ProgressMeter Meter;

        public SourceAdapter(TTarget target, BatchOptions options, long totalBytes)
        {
            Target = target;
            Meter = new ProgressMeter(options, -1, totalBytes);
        }

        public ValueTask PublishAsync(ReadOnlyMemory<TEvent> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
        {
            Target.Apply(events.Span);
            // The last event's position is the byte offset just past it: the bytes consumed so far.
            var bytes = positions.Length > 0 ? positions.Span[^1] - Meter.Bytes : 0;
            Meter.Add(events.Length, bytes);
            return ValueTask.CompletedTask;
        }
    }
}
