using System.Runtime.CompilerServices;

namespace Kernel.Storage.Log;

/// <summary>
/// Reads records in offset order, as zero-copy views over the mapped segments, checking every
/// record's checksum first: corrupt bytes raise a <see cref="LogCorruptionException"/> naming the
/// file and position, and are never returned. A reader follows the writer: when it has read
/// everything committed, <see cref="TryRead"/> returns false and <see cref="WaitForData"/> blocks
/// until more is committed. One reader belongs to one thread; open as many as needed.
/// </summary>
public sealed class LogReader : IDisposable
{
    private readonly SegmentedLog _log;
    private Segment? _segment;  // Acquired (reference counted) while the reader is positioned in it.
    private long _position;     // Byte position in _segment of the next frame.
    private long _nextOffset;   // Offset of the next record.
    private long _limit;        // Bytes of _segment known readable (published and in the file); 0 makes the next read take the slow path.

    internal LogReader(SegmentedLog log) => _log = log;

    /// <summary>The offset of the record the next <see cref="TryRead"/> returns.</summary>
    public long NextOffset => _nextOffset;

    /// <summary>True when a committed record is waiting to be read.</summary>
    public bool HasData => _log.EndOffset > _nextOffset;

    /// <summary>
    /// Reads the next committed record. The returned view is valid until the next call or
    /// <see cref="Dispose"/>. Returns false when the reader has caught up with the writer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead(out LogRecord record)
    {
        var segment = _segment;
        if (segment is not null && _position < _limit)
        {
            var aligned = RecordFrame.Validate(segment.Region, _position, _limit, _nextOffset, out var timestamp);
            if (aligned > 0)
            {
                record = new LogRecord(_nextOffset, timestamp, RecordFrame.Payload(segment.Region, _position));
                _position += aligned;
                _nextOffset++;
                return true;
            }
        }
        return TryReadSlow(out record);
    }

    /// <summary>Blocks until a record at <see cref="NextOffset"/> is committed; false on timeout or when the log is disposed.</summary>
    public bool WaitForData(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _log.WaitForAppend(_nextOffset, timeout, cancellationToken);

    /// <summary>Releases the segment the reader is positioned in.</summary>
    public void Dispose()
    {
        _segment?.Release();
        _segment = null;
        _limit = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryReadSlow(out LogRecord record)
    {
        record = default;
        while (true)
        {
            var segment = _segment;
            if (segment is null) return false;
            var readable = segment.ReadableLength;
            if (_position >= readable && _position < segment.PublishedLength)
            {
                // Committed records the writer still holds in its staging buffer: written to the file here.
                _log.WriteStaged();
                readable = segment.ReadableLength;
            }
            _limit = readable;
            if (_position < readable)
            {
                var aligned = RecordFrame.Validate(segment.Region, _position, readable, _nextOffset, out var timestamp);
                if (aligned <= 0)
                    LogThrow.Corrupt(segment.Path, _position, $"record at offset {_nextOffset} fails its checksum or length check");
                record = new LogRecord(_nextOffset, timestamp, RecordFrame.Payload(segment.Region, _position));
                _position += aligned;
                _nextOffset++;
                return true;
            }
            // Sealed is read after the length was seen short; the length is re-read after Sealed is seen.
            if (!segment.IsSealed || _position < segment.ReadableLength)
            {
                if (_position < segment.ReadableLength) continue;
                return false; // caught up (or staged bytes not written yet: the next call tries again)
            }
            if (!MoveToSegmentAfter(segment)) return false;
        }
    }

    /// <summary>Moves from a finished segment to the one starting at <see cref="_nextOffset"/>.</summary>
    private bool MoveToSegmentAfter(Segment finished)
    {
        var segments = _log.SegmentsSnapshot;
        var i = Array.IndexOf(segments, finished);
        if (i < 0 || i + 1 >= segments.Length) return false; // the next segment is not published yet
        var next = segments[i + 1];
        if (next.BaseOffset != _nextOffset)
            LogThrow.Corrupt(finished.Path, _position, $"segment ends at offset {_nextOffset} but the next segment starts at offset {next.BaseOffset}");
        if (i + 2 < segments.Length && !next.IsScanned) next.EnsureScanned(segments[i + 2].BaseOffset);
        if (!next.TryAcquire()) return false;
        finished.Release();
        _segment = next;
        _position = SegmentHeader.Length;
        _limit = 0;
        return true;
    }

    /// <summary>Positions the reader at <paramref name="offset"/>.</summary>
    internal void Seek(long offset)
    {
        var start = _log.StartOffset;
        var end = _log.EndOffset;
        if (offset < start || offset > end)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"offset {offset} is outside the log [{start}, {end}]" + (offset < start ? " (removed by retention)" : ""));
        var segments = _log.SegmentsSnapshot;
        var i = FindSegment(segments, offset);
        if (i < 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"offset {offset} is below the first segment (removed by retention)");
        PositionIn(segments, i);
        if (_segment!.Index.FloorByOffset(offset, out var entryOffset, out var entryPosition) && entryOffset > _nextOffset)
        {
            _nextOffset = entryOffset;
            _position = entryPosition;
        }
        while (_nextOffset < offset && TryRead(out _)) { }
    }

    /// <summary>Positions the reader at the first record whose timestamp is at least <paramref name="timestamp"/>.</summary>
    internal void SeekTime(long timestamp)
    {
        var segments = _log.SegmentsSnapshot;
        var i = 0;
        for (; i < segments.Length; i++)
        {
            var s = segments[i];
            if (i + 1 < segments.Length && !s.IsScanned)
            {
                // A segment whose index file says no record is that late is skipped without reading it.
                if (s.HasSummary && s.SummaryMaxTimestamp < timestamp) continue;
                s.EnsureScanned(segments[i + 1].BaseOffset);
            }
            if (s.MaxTimestamp >= timestamp) break;
        }
        if (i == segments.Length)
        {
            Seek(_log.EndOffset); // a record committed meanwhile could match; a reader started now begins at the end
            return;
        }
        PositionIn(segments, i);
        if (_segment!.Index.FloorByTime(timestamp, out var entryOffset, out var entryPosition) && entryOffset > _nextOffset)
        {
            _nextOffset = entryOffset;
            _position = entryPosition;
        }
        // Scan to the first record at or after the time; the ones before it are consumed and dropped.
        while (TryRead(out var record))
        {
            if (record.Timestamp >= timestamp)
            {
                // Step back over it: it is in the segment the reader is in now.
                _position -= RecordFrame.AlignedLength(record.Payload.Length);
                _nextOffset = record.Offset;
                return;
            }
        }
    }

    private void PositionIn(Segment[] segments, int i)
    {
        var segment = segments[i];
        if (i + 1 < segments.Length && !segment.IsScanned) segment.EnsureScanned(segments[i + 1].BaseOffset);
        if (!segment.TryAcquire())
            throw new ArgumentOutOfRangeException(nameof(segments), $"segment {segment.Path} was removed by retention while the reader was being positioned");
        _segment?.Release();
        _segment = segment;
        _position = SegmentHeader.Length;
        _limit = 0;
        _nextOffset = segment.BaseOffset;
    }

    private static int FindSegment(Segment[] segments, long offset)
    {
        int lo = 0, hi = segments.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (segments[mid].BaseOffset <= offset) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }
}
