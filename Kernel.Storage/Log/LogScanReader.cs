using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kernel.Storage.Log;

/// <summary>
/// Reads the records committed when it was opened, from an offset to that end, in offset order,
/// checking every record's checksum like <see cref="LogReader"/>, but through large positioned
/// reads (<c>pread</c>) of the segment files into one reused buffer instead of through the
/// segments' mappings. For a one-pass read of a large stretch of a log (a journal's replay at
/// recovery): on a machine where the first touch of each mapped page is expensive (shadow paging
/// in a VM: several microseconds a page, about 3 GB/s), copying from the page cache in 1 MiB reads
/// into memory that stays mapped is several times cheaper. It does not follow the writer (records
/// committed after it was opened are not read; use <see cref="LogReader"/> for that) and reads
/// what the segment files hold, so it is meant for a log nobody appends to meanwhile. One reader
/// belongs to one thread.
/// </summary>
public sealed class LogScanReader : IDisposable
{
    private const int DefaultBufferBytes = 1 << 20;

    private readonly SegmentedLog _log;
    private readonly long _end;          // EndOffset when opened: the reader stops there.
    private byte[] _buffer;              // Rented; holds file bytes [_bufferStart, _bufferStart + _bufferLength).
    private Segment? _segment;           // Acquired (reference counted) while the reader is in it.
    private SafeFileHandle? _file;       // The segment's file, opened for reading.
    private long _limit;                 // The segment's published length when the reader entered it.
    private long _bufferStart;
    private int _bufferLength;
    private long _position;              // File position of the next frame.
    private long _nextOffset;            // Offset of the next record.

    /// <summary>Opens a reader of <paramref name="log"/> positioned at <paramref name="offset"/>, reading up to the log's current end.</summary>
    /// <param name="log">The log; nobody should append to it while the reader reads.</param>
    /// <param name="offset">From <see cref="SegmentedLog.StartOffset"/> to <see cref="SegmentedLog.EndOffset"/>.</param>
    /// <param name="bufferBytes">The read size (and buffer size; a larger record grows it).</param>
    /// <exception cref="ArgumentOutOfRangeException">The offset was removed by retention or is not written yet.</exception>
    public LogScanReader(SegmentedLog log, long offset, int bufferBytes = DefaultBufferBytes)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 4096);
        _log = log;
        _end = log.EndOffset;
        // Committed records the writer still stages (LogOptions.StagingBytes) go to the file first:
        // this reader reads the file, not the staging buffer.
        log.WriteStaged();
        var start = log.StartOffset;
        if (offset < start || offset > _end)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"offset {offset} is outside the log [{start}, {_end}]" + (offset < start ? " (removed by retention)" : ""));
        _buffer = ArrayPool<byte>.Shared.Rent(bufferBytes);
        _nextOffset = offset;
        if (offset == _end) return;
        try
        {
            Seek(offset);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The offset of the record the next <see cref="TryRead"/> returns.</summary>
    public long NextOffset => _nextOffset;

    /// <summary>The log's end when the reader was opened: it reads up to here.</summary>
    public long EndOffset => _end;

    /// <summary>
    /// Reads the next record. The returned view (into the reader's buffer) is valid until the next
    /// call or <see cref="Dispose"/>. Returns false at <see cref="EndOffset"/>.
    /// </summary>
    /// <exception cref="LogCorruptionException">A record fails its checksum or length check.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead(out LogRecord record)
    {
        if (_nextOffset < _end)
        {
            var at = _position - _bufferStart;
            if (at + RecordFrame.HeaderLength <= _bufferLength)
            {
                var length = RecordFrame.ReadLength(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), (nint)at));
                var aligned = RecordFrame.AlignedLength((long)length - RecordFrame.HeaderLength);
                if (length >= RecordFrame.HeaderLength && at + aligned <= _bufferLength && _position + aligned <= _limit
                    && TryFrame((int)at, length, (int)aligned, out record))
                    return true;
            }
        }
        return TryReadSlow(out record);
    }

    /// <summary>Releases the segment the reader is in, its file and its buffer.</summary>
    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        _segment?.Release();
        _segment = null;
        // Nothing left in the buffer for the fast path, whose reads are unchecked: a read after this throws.
        _bufferLength = 0;
        _limit = 0;
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Checks the frame at <paramref name="at"/> in the buffer (wholly there) and returns it as the next record when its checksum matches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFrame(int at, uint length, int aligned, out LogRecord record)
    {
        ref var frame = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), at);
        var crc = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref frame, 4));
        var timestamp = Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref frame, 8));
        var padded = new ReadOnlySpan<byte>(_buffer, at + RecordFrame.HeaderLength, aligned - RecordFrame.HeaderLength);
        if (RecordFrame.Checksum(_nextOffset, length, timestamp, padded) != crc)
        {
            record = default;
            return false;
        }
        record = new LogRecord(_nextOffset, timestamp, padded[..((int)length - RecordFrame.HeaderLength)]);
        _position += aligned;
        _nextOffset++;
        return true;
    }

    /// <summary>Refills the buffer, moves to the next segment, or reports a bad frame; then reads.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryReadSlow(out LogRecord record)
    {
        record = default;
        while (_nextOffset < _end)
        {
            ObjectDisposedException.ThrowIf(_segment is null, this);
            if (_position >= _limit)
            {
                MoveToNextSegment();
                continue;
            }
            var at = _position - _bufferStart;
            if (at < 0 || at + RecordFrame.HeaderLength > _bufferLength)
            {
                Fill(RecordFrame.HeaderLength);
                continue;
            }
            var length = RecordFrame.ReadLength(ref _buffer[at]);
            if (length < RecordFrame.HeaderLength)
                LogThrow.Corrupt(_segment.Path, _position, $"record at offset {_nextOffset} fails its checksum or length check");
            var aligned = RecordFrame.AlignedLength((long)length - RecordFrame.HeaderLength);
            if (_position + aligned > _limit)
                LogThrow.Corrupt(_segment.Path, _position, $"record at offset {_nextOffset} fails its checksum or length check");
            if (at + aligned > _bufferLength)
            {
                Fill(aligned);
                continue;
            }
            if (TryFrame((int)at, length, (int)aligned, out record)) return true;
            LogThrow.Corrupt(_segment.Path, _position, $"record at offset {_nextOffset} fails its checksum or length check");
        }
        return false;
    }

    /// <summary>Reads from <see cref="_position"/> at least <paramref name="needed"/> bytes (less only at the segment's end).</summary>
    private void Fill(long needed)
    {
        if (needed > _buffer.Length)
        {
            // A record larger than the buffer: a larger one, once.
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(int.MaxValue, needed));
        }
        var want = (int)Math.Min(_buffer.Length, _limit - _position);
        var got = 0;
        while (got < want)
        {
            var n = RandomAccess.Read(_file!, _buffer.AsSpan(got, want - got), _position + got);
            if (n <= 0) break;
            got += n;
        }
        _bufferStart = _position;
        _bufferLength = got;
        if (got < Math.Min(needed, want))
            LogThrow.Corrupt(_segment!.Path, _position + got, $"the file ends at {_position + got}, before the published length {_limit}");
    }

    /// <summary>Positions the reader at <paramref name="offset"/> (below the end): the segment holding it, its index entry, then record by record.</summary>
    private void Seek(long offset)
    {
        var segments = _log.SegmentsSnapshot;
        int lo = 0, hi = segments.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (segments[mid].BaseOffset <= offset) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (found < 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"offset {offset} is below the first segment (removed by retention)");
        // The index gives a position to start from only for an offset inside the segment.
        Enter(segments, found, needsIndex: offset > segments[found].BaseOffset);
        if (_segment!.Index.FloorByOffset(offset, out var entryOffset, out var entryPosition) && entryOffset > _nextOffset)
        {
            _nextOffset = entryOffset;
            _position = entryPosition;
        }
        while (_nextOffset < offset && TryRead(out _)) { }
    }

    /// <summary>Moves from a finished segment to the one starting at <see cref="_nextOffset"/>.</summary>
    private void MoveToNextSegment()
    {
        var segments = _log.SegmentsSnapshot;
        var i = Array.IndexOf(segments, _segment);
        if (i < 0 || i + 1 >= segments.Length)
            LogThrow.Corrupt(_segment!.Path, _position, $"the log ends at offset {_nextOffset}, before its end when the reader was opened ({_end}): a segment was removed while it was read");
        if (segments[i + 1].BaseOffset != _nextOffset)
            LogThrow.Corrupt(_segment!.Path, _position, $"segment ends at offset {_nextOffset} but the next segment starts at offset {segments[i + 1].BaseOffset}");
        Enter(segments, i + 1, needsIndex: false);
    }

    /// <summary>
    /// Makes <paramref name="segments"/>[<paramref name="i"/>] the reader's segment, at its first record.
    /// A sealed segment not opened by anyone yet is read to the valid length its index file's header
    /// states, without loading the index (a read from the segment's start needs no positions, and loading it
    /// touches fresh memory for every entry); the reader checks every record anyway, and
    /// <see cref="MoveToNextSegment"/> that it ends where the next one starts. When seeking inside
    /// it, or without a usable index file, the segment is made readable the usual way (index loaded or rebuilt).
    /// </summary>
    private void Enter(Segment[] segments, int i, bool needsIndex)
    {
        var segment = segments[i];
        long limit = -1;
        if (i + 1 < segments.Length && !segment.IsScanned)
        {
            if (!needsIndex && SegmentIndexFile.TryReadSummary(segment.Path, segment.Header, out var summary)) limit = summary.ValidLength;
            else segment.EnsureScanned(segments[i + 1].BaseOffset);
        }
        if (!segment.TryAcquire())
            throw new ArgumentOutOfRangeException(nameof(segments), $"segment {segment.Path} was removed by retention while the reader was being positioned");
        _file?.Dispose();
        _file = null;
        _segment?.Release();
        _segment = segment;
        _file = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        _limit = limit >= 0 ? limit : segment.PublishedLength;
        _position = SegmentHeader.Length;
        _nextOffset = segment.BaseOffset;
        _bufferStart = 0;
        _bufferLength = 0;
    }
}
