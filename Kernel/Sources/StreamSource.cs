namespace Kernel.Sources;

/// <summary>
/// A source over any readable stream, standard input included (<see cref="FromStandardInput"/>).
/// Positions are byte offsets from where the stream stood when the run started.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="TParser">The record parser, a struct: called directly, never through an interface.</typeparam>
public sealed class StreamSource<T, TParser>
    where TParser : struct, IRecordParser<T>
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly SourceOptions _options;
    private readonly TParser _parser;
    // Set once when the run starts (Volatile.Write), read by Position on any thread.
    private RecordReadLoop<T, TParser>? _loop;

    /// <summary>Creates a source over <paramref name="stream"/>.</summary>
    /// <param name="stream">The input; read from its current position to its end.</param>
    /// <param name="name">The name errors and metrics use (e.g. <c>stdin</c>).</param>
    /// <param name="options">Framing, batching and the bad-record policy; null for the defaults.</param>
    /// <param name="parser">The parser, in its initial state.</param>
    /// <param name="leaveOpen">True to leave the stream open when the run ends.</param>
    public StreamSource(Stream stream, string name, SourceOptions? options = null, TParser parser = default, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        _options = options ?? SourceOptions.Default;
        _options.Validate();
        _stream = stream;
        _leaveOpen = leaveOpen;
        _parser = parser;
        Name = name;
        Progress = new SourceProgress(name);
    }

    /// <summary>A source over the process's standard input, named <c>stdin</c>.</summary>
    /// <param name="options">Framing, batching and the bad-record policy; null for the defaults.</param>
    /// <param name="parser">The parser, in its initial state.</param>
    /// <returns>The source.</returns>
    public static StreamSource<T, TParser> FromStandardInput(SourceOptions? options = null, TParser parser = default) =>
        new(Console.OpenStandardInput(), "stdin", options, parser);

    /// <summary>The name errors and metrics use.</summary>
    public string Name { get; }

    /// <summary>Bytes and records read, bad records, rates.</summary>
    public SourceProgress Progress { get; }

    /// <summary>The byte offset up to which every record has been published or skipped.</summary>
    public long Position => Volatile.Read(ref _loop)?.Position ?? 0;

    /// <summary>Bytes allocated while framing and parsing (the per-record path); see the read loop.</summary>
    internal long FramingAllocatedBytes => Volatile.Read(ref _loop)?.FramingAllocatedBytes ?? 0;

    /// <summary>
    /// Reads the stream to its end, publishing batches to <paramref name="target"/>. Throws a
    /// <see cref="BadRecordException"/> under <see cref="BadRecordPolicy.Fail"/>.
    /// </summary>
    /// <typeparam name="TTarget">The target type (a constrained generic: one call per batch).</typeparam>
    /// <param name="target">Where the batches go.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>A task that completes at the end of the input.</returns>
    public async Task RunAsync<TTarget>(TTarget target, CancellationToken cancellationToken = default)
        where TTarget : ISourceTarget<T>
    {
        using var deadLetter = SourcePipes.CreateDeadLetter(_options);
        var loop = new RecordReadLoop<T, TParser>(Name, _options, _parser, Progress, deadLetter, 0, 1, _options.HasHeader);
        Volatile.Write(ref _loop, loop);
        await loop.RunAsync(_stream, _leaveOpen, target, cancellationToken).ConfigureAwait(false);
    }
}
