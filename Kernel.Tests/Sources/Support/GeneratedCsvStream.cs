using System.Text;

namespace Kernel.Tests.Sources.Support;

/// <summary>
/// A read-only stream of <c>rows</c> CSV records <c>i,1,2\n</c> made on demand, synchronously (its
/// ReadAsync completes at once), which counts the bytes it hands out and, on request, the reads made
/// off the requesting thread.
/// </summary>
public sealed class GeneratedCsvStream : Stream
{
    private readonly long _rows;
    private long _nextRow = 1;
    private byte[] _pending = [];
    private int _pendingOffset;
    // Written by the reading thread (Interlocked), read by the test thread.
    private long _bytesRead;

    public GeneratedCsvStream(long rows) => _rows = rows;

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Counts the reads made on threads other than the caller's from now until <see cref="OffThreadReads.Stop"/>.</summary>
    public OffThreadReads CountReadsOffThread()
    {
        var counter = new OffThreadReads(Environment.CurrentManagedThreadId);
        _offThread = counter;
        return counter;
    }

    private volatile OffThreadReads? _offThread;

    public sealed class OffThreadReads(int threadId)
    {
        private int _count;
        private volatile bool _stopped;

        public int Count => Volatile.Read(ref _count);

        public void Stop() => _stopped = true;

        internal void OnRead()
        {
            if (!_stopped && Environment.CurrentManagedThreadId != threadId) Interlocked.Increment(ref _count);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        _offThread?.OnRead();
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
