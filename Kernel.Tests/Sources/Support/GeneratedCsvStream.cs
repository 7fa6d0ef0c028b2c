using System.Text;

namespace Kernel.Tests.Sources.Support;

/// <summary>
/// A read-only stream of <c>rows</c> CSV records <c>i,1,2\n</c> made on demand, which counts the
/// bytes it hands out and signals the first read after <see cref="Mark"/>.
/// </summary>
public sealed class GeneratedCsvStream : Stream
{
    private readonly long _rows;
    private long _nextRow = 1;
    private byte[] _pending = [];
    private int _pendingOffset;
    // Written by the reading thread (Interlocked), read by the test thread.
    private long _bytesRead;
    private volatile TaskCompletionSource? _readAfterMark;

    public GeneratedCsvStream(long rows) => _rows = rows;

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Returns a task that completes at the next read from this stream.</summary>
    public Task Mark()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _readAfterMark = tcs;
        return tcs.Task;
    }

    public override int Read(Span<byte> buffer)
    {
        _readAfterMark?.TrySetResult();
        var written = 0;
        while (written < buffer.Length)
        {
            if (_pendingOffset == _pending.Length)
            {
                if (_nextRow > _rows) break;
                _pending = Encoding.ASCII.GetBytes($"{_nextRow++},1,2\n");
                _pendingOffset = 0;
            }
            var n = Math.Min(buffer.Length - written, _pending.Length - _pendingOffset);
            _pending.AsSpan(_pendingOffset, n).CopyTo(buffer[written..]);
            _pendingOffset += n;
            written += n;
        }
        Interlocked.Add(ref _bytesRead, written);
        return written;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Read(buffer.Span));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
