using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Kernel.Sources;

/// <summary>
/// The read loop every source shares: pull buffers from a <see cref="PipeReader"/>, cut them into
/// records (<see cref="RecordReadLoop{T,TParser}.FrameLines"/> or <see cref="RecordReadLoop{T,TParser}.FrameBinary"/>),
/// parse each record in place into a reusable batch, and publish full batches to the target.
/// </summary>
/// <remarks>
/// <para>Backpressure: the loop awaits every publish before it reads again, and a partial batch is
/// published before the loop waits for more input, so a blocked target stops the reads and the
/// loop holds at most one read buffer plus one record (at most <see cref="SourceOptions.MaxRecordLength"/>
/// bytes) of unconsumed input.</para>
/// <para>Threading: one loop runs on one logical flow (its awaits may hop threads, never run
/// concurrently); only <see cref="Position"/> and the shared <see cref="SourceProgress"/> are read
/// from other threads.</para>
/// </remarks>
internal sealed partial class RecordReadLoop<T, TParser>
    where TParser : struct, IRecordParser<T>
{
    private readonly string _source;
    private readonly SourceProgress _progress;
    private readonly DeadLetterWriter? _deadLetter;
    private readonly BadRecordPolicy _policy;
    private readonly RecordFraming _framing;
    private readonly int _maxRecordLength;
    private readonly SourceOptions _options;
    private readonly T[] _events;
    private readonly long[] _positions;
    // Holds a record that straddles read segments: up to MaxRecordLength bytes plus a CR.
    private readonly byte[] _scratch;
    private TParser _parser;
    // Events parsed into _events and not yet published.
    private int _count;
    // Framing stops when _count reaches it: the batch size, or -1 once a Fail-policy error is pending.
    private int _limit;
    // The Fail-policy error to throw once the good records before it are published.
    private BadRecord? _failure;
    // Byte offset (in the whole input) of the first byte of the buffer being framed.
    private long _bufferStart;
    // Byte offset just after the last record framed (good, bad or empty).
    private long _framedPosition;
    // Physical line (or frame number) of the next record.
    private long _line;
    private bool _headerPending;
    // Lines: inside an over-long line already reported, skipping to its line feed.
    private bool _discardingLine;
    // Frames: payload bytes of an over-long frame still to skip.
    private long _discardRemaining;
    // Written with Volatile.Write after each publish; read by other threads through Position.
    private long _position;

    public RecordReadLoop(string source, SourceOptions options, TParser parser, SourceProgress progress,
        DeadLetterWriter? deadLetter, long startPosition, long startLine, bool headerPending)
    {
        _source = source;
        _progress = progress;
        _deadLetter = deadLetter;
        _policy = options.BadRecordPolicy;
        _framing = options.Framing;
        _maxRecordLength = options.MaxRecordLength;
        _options = options;
        // From the shared pools, returned when the run ends (a loop runs once): a source run after
        // the first allocates no batch or scratch arrays. They may be longer than asked for; only
        // the asked-for prefix is used.
        _events = SourceArrays<T>.Pool.Rent(options.BatchSize);
        _positions = SourceArrays<long>.Pool.Rent(options.BatchSize);
        _scratch = SourceArrays<byte>.Pool.Rent(Math.Max(options.MaxRecordLength + 1, 4));
        _parser = parser;
        _limit = options.BatchSize;
        _bufferStart = startPosition;
        _framedPosition = startPosition;
        _position = startPosition;
        _line = startLine;
        _headerPending = headerPending && options.Framing == RecordFraming.Lines;
    }

    /// <summary>The byte offset up to which every record has been published to the target or skipped.</summary>
    public long Position => Volatile.Read(ref _position);

    /// <summary>
    /// Bytes allocated on this loop's threads while framing and parsing (the per-record work),
    /// measured around each framing pass; tests assert it stays 0 in steady state.
    /// </summary>
    internal long FramingAllocatedBytes { get; private set; }

    /// <summary>
    /// Reads <paramref name="stream"/> until it ends (closing it unless <paramref name="leaveOpen"/>),
    /// then hands the read buffers back to the shared pool.
    /// </summary>
    public async Task RunAsync<TTarget>(Stream stream, bool leaveOpen, TTarget target, CancellationToken cancellationToken)
        where TTarget : ISourceTarget<T>
    {
        var pool = new SegmentPool(_options.ReadBufferSize);
        try
        {
            await RunAsync(SourcePipes.CreateReader(stream, _options, leaveOpen, pool), target, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            pool.Dispose();
        }
    }

    /// <summary>
    /// Runs until the input ends, then completes the reader and hands the batch arrays back to the
    /// shared pools (a loop runs once).
    /// </summary>
    public async Task RunAsync<TTarget>(PipeReader reader, TTarget target, CancellationToken cancellationToken)
        where TTarget : ISourceTarget<T>
    {
        _progress.Start();
        try
        {
            while (true)
            {
                if (!reader.TryRead(out var result))
                {
                    // Nothing more in hand: hand over what is parsed before waiting for input.
                    if (_count > 0) await PublishAsync(target, cancellationToken).ConfigureAwait(false);
                    result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                if (result.IsCanceled) break;
                var buffer = result.Buffer;
                while (true)
                {
                    var consumed = Frame(buffer, result.IsCompleted);
                    buffer = buffer.Slice(consumed);
                    _bufferStart += consumed;
                    _progress.Add(consumed, 0);
                    if (_failure is not null)
                    {
                        if (_count > 0) await PublishAsync(target, cancellationToken).ConfigureAwait(false);
                        SourceThrowHelper.ThrowBadRecord(_failure);
                    }
                    if (_count < _limit) break;
                    await PublishAsync(target, cancellationToken).ConfigureAwait(false);
                }
                if (_count == 0) Volatile.Write(ref _position, _framedPosition);
                if (result.IsCompleted)
                {
                    if (_count > 0) await PublishAsync(target, cancellationToken).ConfigureAwait(false);
                    break;
                }
                // Everything left is the start of an incomplete record: keep it, wait for more.
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            try
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }
            finally
            {
                // Every publish was awaited: no target holds the batch any more.
                SourceArrays<T>.Pool.Return(_events, clearArray: RuntimeHelpers.IsReferenceOrContainsReferences<T>());
                SourceArrays<long>.Pool.Return(_positions);
                SourceArrays<byte>.Pool.Return(_scratch);
            }
        }
    }

    private long Frame(in ReadOnlySequence<byte> buffer, bool isFinal)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var consumed = _framing == RecordFraming.Lines ? FrameLines(buffer, isFinal) : FrameBinary(buffer, isFinal);
        FramingAllocatedBytes += GC.GetAllocatedBytesForCurrentThread() - before;
        return consumed;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PublishAsync<TTarget>(TTarget target, CancellationToken cancellationToken)
        where TTarget : ISourceTarget<T>
    {
        var count = _count;
        // Every record framed so far is either in this batch or was skipped: resume after them all.
        var position = _framedPosition;
        await target.PublishAsync(_events.AsMemory(0, count), _positions.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        _count = 0;
        _progress.Add(0, count);
        Volatile.Write(ref _position, position);
    }

    /// <summary>Parses a framed record into the next batch slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Parse(ReadOnlySpan<byte> record, long line, long start, long end)
    {
        if (_parser.TryParse(record, out _events[_count], out var error))
        {
            _positions[_count] = end;
            _count++;
        }
        else
        {
            OnParseError(error, record, line, start);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnParseError(in RecordError error, ReadOnlySpan<byte> record, long line, long start) =>
        OnBadRecord(new BadRecord(_source, line, start, error.Column, error.Value, error.Reason ?? "the parser rejected the record"), record);

    /// <summary>Applies the policy. Under Fail the error waits until the good records before it are published.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnBadRecord(BadRecord record, ReadOnlySpan<byte> raw)
    {
        _progress.AddBad(record);
        switch (_policy)
        {
            case BadRecordPolicy.Fail:
                // Resume at the bad record, not after it: it has not been handled.
                _framedPosition = record.BytePosition;
                _failure = record;
                _limit = -1;
                break;
            case BadRecordPolicy.DeadLetter:
                _deadLetter!.Write(record, raw);
                break;
        }
    }
}
