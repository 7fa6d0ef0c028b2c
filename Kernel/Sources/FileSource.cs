using Microsoft.Win32.SafeHandles;

namespace Kernel.Sources;

/// <summary>
/// A source over a file, resumable from a byte position a previous run reported
/// (<see cref="Position"/>, or an event's position from <see cref="ISourceTarget{T}.PublishAsync"/>):
/// the file is opened, seeked there, and read on; nothing is skipped, because a reported
/// position is always a record boundary.
/// </summary>
/// <remarks>
/// On a resume of a line-framed file the source reads line 1 again for the header (when
/// <see cref="SourceOptions.HasHeader"/>), checks that the byte before the position is a line
/// feed, and counts the line feeds before the position so errors keep reporting physical line
/// numbers (one sequential read of the prefix, no parsing). Binary frames are numbered from 1
/// at the resume position.
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="TParser">The record parser, a struct: called directly, never through an interface.</typeparam>
public sealed class FileSource<T, TParser>
    where TParser : struct, IRecordParser<T>
{
    private readonly SourceOptions _options;
    private readonly TParser _parser;
    // Set once per run (Volatile.Write), read by Position on any thread.
    private RecordReadLoop<T, TParser>? _loop;
    private long _startPosition;

    /// <summary>Creates a source over the file at <paramref name="path"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="options">Framing, batching and the bad-record policy; null for the defaults.</param>
    /// <param name="parser">The parser, in its initial state.</param>
    public FileSource(string path, SourceOptions? options = null, TParser parser = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _options = options ?? SourceOptions.Default;
        _options.Validate();
        _parser = parser;
        FilePath = path;
        Name = System.IO.Path.GetFileName(path);
        Progress = new SourceProgress(Name);
    }

    /// <summary>The file's path.</summary>
    public string FilePath { get; }

    /// <summary>The file name, as errors and metrics show it.</summary>
    public string Name { get; }

    /// <summary>Bytes and records read, bad records, rates.</summary>
    public SourceProgress Progress { get; }

    /// <summary>
    /// The byte offset up to which every record has been published or skipped: resuming here
    /// (<see cref="RunAsync{TTarget}(TTarget, long, CancellationToken)"/>) reads exactly the rest.
    /// </summary>
    public long Position => Volatile.Read(ref _loop)?.Position ?? Volatile.Read(ref _startPosition);

    /// <summary>Bytes allocated while framing and parsing (the per-record path); see the read loop.</summary>
    internal long FramingAllocatedBytes => Volatile.Read(ref _loop)?.FramingAllocatedBytes ?? 0;

    /// <summary>Reads the whole file, publishing batches to <paramref name="target"/>.</summary>
    /// <typeparam name="TTarget">The target type (a constrained generic: one call per batch).</typeparam>
    /// <param name="target">Where the batches go.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>A task that completes at the end of the file.</returns>
    public Task RunAsync<TTarget>(TTarget target, CancellationToken cancellationToken = default)
        where TTarget : ISourceTarget<T> => RunAsync(target, 0, cancellationToken);

    /// <summary>
    /// Reads the file from <paramref name="startPosition"/> to its end. Throws a
    /// <see cref="BadRecordException"/> under <see cref="BadRecordPolicy.Fail"/>, and an
    /// <see cref="ArgumentOutOfRangeException"/> for a position past the end or (for lines) not
    /// at a record boundary.
    /// </summary>
    /// <typeparam name="TTarget">The target type (a constrained generic: one call per batch).</typeparam>
    /// <param name="target">Where the batches go.</param>
    /// <param name="startPosition">A position a previous run reported; 0 for the start.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>A task that completes at the end of the file.</returns>
    public async Task RunAsync<TTarget>(TTarget target, long startPosition, CancellationToken cancellationToken = default)
        where TTarget : ISourceTarget<T>
    {
        if (startPosition < 0) SourceThrowHelper.ThrowNegativePosition(startPosition);
        Volatile.Write(ref _startPosition, startPosition);
        var parser = _parser;
        long line = 1;
        var headerPending = _options.HasHeader;
        if (startPosition > 0 && _options.Framing == RecordFraming.Lines)
        {
            (line, var header) = await ScanPrefixAsync(startPosition, headerPending, cancellationToken).ConfigureAwait(false);
            if (headerPending)
            {
                parser.ParseHeader(header.Span);
                if (parser.TryGetHeaderError(out var error))
                    SourceThrowHelper.ThrowBadRecord(new BadRecord(Name, 1, 0, error.Column, error.Value, error.Reason ?? "the parser rejected the header"));
            }
            headerPending = false;
        }
        else if (startPosition > 0)
        {
            var length = new FileInfo(FilePath).Length;
            if (startPosition > length) SourceThrowHelper.ThrowPositionBeyondEnd(Name, startPosition, length);
        }
        using var deadLetter = SourcePipes.CreateDeadLetter(_options);
        var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        try
        {
            stream.Seek(startPosition, SeekOrigin.Begin);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var loop = new RecordReadLoop<T, TParser>(Name, _options, parser, Progress, deadLetter, startPosition, line, headerPending);
        Volatile.Write(ref _loop, loop);
        await loop.RunAsync(stream, leaveOpen: false, target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Before a resume of a line-framed file: checks the position is a record boundary, hands
    /// line 1 (without its terminator) when <paramref name="readHeader"/>, and the physical line number at the position.
    /// </summary>
    private async Task<(long Line, ReadOnlyMemory<byte> Header)> ScanPrefixAsync(long position, bool readHeader, CancellationToken cancellationToken)
    {
        using SafeFileHandle handle = File.OpenHandle(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        var length = RandomAccess.GetLength(handle);
        if (position > length) SourceThrowHelper.ThrowPositionBeyondEnd(Name, position, length);
        var buffer = new byte[Math.Max(64 * 1024, _options.MaxRecordLength + 2)];
        var headerBytes = ReadOnlyMemory<byte>.Empty;
        if (readHeader)
        {
            var n = await RandomAccess.ReadAsync(handle, buffer, 0, cancellationToken).ConfigureAwait(false);
            var lf = buffer.AsSpan(0, n).IndexOf((byte)'\n');
            var header = lf < 0 ? n : lf;
            if (header > 0 && buffer[header - 1] == (byte)'\r') header--;
            headerBytes = buffer.AsSpan(0, header).ToArray();
        }
        long lineFeeds = 0;
        long offset = 0;
        byte last = 0;
        while (offset < position)
        {
            var want = (int)Math.Min(buffer.Length, position - offset);
            var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, want), offset, cancellationToken).ConfigureAwait(false);
            if (n == 0) SourceThrowHelper.ThrowPositionBeyondEnd(Name, position, offset);
            lineFeeds += buffer.AsSpan(0, n).Count((byte)'\n');
            last = buffer[n - 1];
            offset += n;
        }
        if (last != (byte)'\n') SourceThrowHelper.ThrowNotARecordBoundary(Name, position);
        return (1 + lineFeeds, headerBytes);
    }
}
