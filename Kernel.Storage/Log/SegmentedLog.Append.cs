using System.Runtime.CompilerServices;

namespace Kernel.Storage.Log;

public sealed partial class SegmentedLog
{
    /// <summary>
    /// Appends one record and commits it (applying the flush policy).
    /// </summary>
    /// <param name="payload">The record's bytes.</param>
    /// <param name="timestamp">The record's event time (readers can start from a time).</param>
    /// <returns>The record's offset.</returns>
    /// <remarks>
    /// The same work as <see cref="Reserve"/>, <see cref="Complete"/> and <see cref="Commit"/>, fused
    /// so the checks run once (log/append-32 against filestream).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Append(ReadOnlySpan<byte> payload, long timestamp)
    {
        var length = payload.Length;
        var position = _writePosition;
        var aligned = RecordFrame.AlignedLength(length);
        if (_reservedLength >= 0 || (uint)length > (uint)_maxPayload || position + aligned > _windowLimit)
            return AppendSlow(payload, timestamp);
        var segment = _active;
        var window = _window; // the staging buffer or the mapping; the check above keeps the frame inside it
        var offset = _nextOffset;
        var frameLength = (uint)(RecordFrame.HeaderLength + length);
        uint crc;
        if (RecordFrame.Fuses(length))
        {
            // One pass over the payload; the frame fits (checked above), padding included.
            crc = RecordFrame.CopyAndChecksum(offset, frameLength, timestamp, payload, ref WindowBytes.At(window, position + RecordFrame.HeaderLength));
        }
        else
        {
            // The padding after the payload is zero: the frame's last word is zeroed before the copy
            // (a recycled segment or a reused staging buffer holds old bytes there).
            var padded = WindowBytes.Span(window, position + RecordFrame.HeaderLength, (int)(aligned - RecordFrame.HeaderLength));
            Unsafe.WriteUnaligned(ref WindowBytes.At(window, position + aligned - 8), 0UL);
            payload.CopyTo(padded);
            crc = RecordFrame.Checksum(offset, frameLength, timestamp, padded);
        }
        RecordFrame.WriteHeader(ref WindowBytes.At(window, position), frameLength, crc, timestamp);
        var index = segment.Index;
        var maxTimestamp = _activeMaxTimestamp;
        if (position >= index.NextPosition)
        {
            index.Add(offset, position, maxTimestamp);
            if (position >= _writeBehindNext) StartWriteBehind(position);
        }
        if (timestamp > maxTimestamp) _activeMaxTimestamp = maxTimestamp = timestamp;
        var end = position + aligned;
        var records = _activeRecords + 1;
        _writePosition = end;
        _activeRecords = records;
        _nextOffset = offset + 1;
        // Publication, as in Commit: the segment's length, then the end offset, after the bytes.
        segment.Publish(end, records, maxTimestamp);
        Volatile.Write(ref _endOffset, offset + 1);
        if (Volatile.Read(ref _waiters) != 0) WakeReaders();
        if (_flushEveryAppend) Flush();
        return offset;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long AppendSlow(ReadOnlySpan<byte> payload, long timestamp)
    {
        payload.CopyTo(Reserve(payload.Length));
        var offset = Complete(timestamp);
        Commit();
        return offset;
    }

    /// <summary>
    /// Appends a batch of records with one commit (group commit). Record <c>i</c> is the next
    /// <paramref name="lengths"/>[i] bytes of <paramref name="payloads"/>, with
    /// <paramref name="timestamps"/>[i]. A batch is not a transaction: a crash may keep a prefix of it.
    /// </summary>
    /// <returns>The offset of the first record of the batch.</returns>
    public long AppendBatch(ReadOnlySpan<byte> payloads, ReadOnlySpan<int> lengths, ReadOnlySpan<long> timestamps)
    {
        if (lengths.Length != timestamps.Length)
            throw new ArgumentException($"lengths has {lengths.Length} entries but timestamps has {timestamps.Length}", nameof(timestamps));
        var first = _nextOffset;
        var at = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            var n = lengths[i];
            payloads.Slice(at, n).CopyTo(Reserve(n));
            at += n;
            Complete(timestamps[i]);
        }
        Commit();
        return first;
    }

    /// <summary>
    /// Reserves room for a record of <paramref name="payloadLength"/> bytes and returns the bytes to
    /// fill in place (zero-copy: in the staging buffer, or the mapping without staging). Follow with <see cref="Complete"/>; records become visible
    /// to readers at the next <see cref="Commit"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Reserve(int payloadLength)
    {
        if (_reservedLength >= 0) LogThrow.AlreadyReserved();
        if ((uint)payloadLength > (uint)_maxPayload) LogThrow.PayloadTooLarge(payloadLength, _maxPayload);
        var aligned = RecordFrame.AlignedLength(payloadLength);
        if (_writePosition + aligned > _windowLimit) MakeRoom(aligned);
        _reservedLength = payloadLength;
        var window = _window;
        // The frame's last word, which holds the padding, is zeroed before the caller writes the
        // payload over the rest of it (a recycled segment or a reused staging buffer holds old bytes there).
        Unsafe.WriteUnaligned(ref WindowBytes.At(window, _writePosition + aligned - 8), 0UL);
        return WindowBytes.Span(window, _writePosition + RecordFrame.HeaderLength, payloadLength);
    }

    /// <summary>
    /// Makes the window hold a frame of <paramref name="aligned"/> bytes at the write position
    /// (writer only): rolls when the segment is full; with staging, writes the staged bytes to the
    /// file and starts the window again at the write position; a frame larger than the staging
    /// buffer gets the mapping as its window (<see cref="EndOversize"/> goes back to staging).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void MakeRoom(long aligned)
    {
        if (_writePosition + aligned > _activeLength) Roll();
        if (_stage is null || _writePosition + aligned <= _windowLimit) return;
        SpillStage();
        if (_writePosition + aligned <= _windowLimit) return;
        // Everything before it is in the file: the record is stored into the mapping, and
        // EndOversize marks it written before anything publishes it.
        _window = _active.Region.Origin;
        _windowLimit = _writePosition + aligned;
        _oversize = true;
    }

    /// <summary>After a record stored into the mapping: it is in the file; the window is staging again (writer only).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EndOversize() => AttachWindow(_active, _writePosition);

    /// <summary>
    /// Finishes the reserved record: stamps <paramref name="timestamp"/>, checksums it, and assigns
    /// its offset. Not yet visible to readers: call <see cref="Commit"/> (once per batch).
    /// </summary>
    /// <returns>The record's offset.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Complete(long timestamp)
    {
        var payloadLength = _reservedLength;
        if (payloadLength < 0) LogThrow.NotReserved();
        _reservedLength = -1;
        var position = _writePosition;
        var offset = _nextOffset;
        var aligned = RecordFrame.AlignedLength(payloadLength);
        var window = _window;
        var frameLength = (uint)(RecordFrame.HeaderLength + payloadLength);
        // The padding after the payload is zero: Reserve zeroed the frame's last word.
        var crc = RecordFrame.Checksum(offset, frameLength, timestamp,
            WindowBytes.Span(window, position + RecordFrame.HeaderLength, (int)(aligned - RecordFrame.HeaderLength)));
        RecordFrame.WriteHeader(ref WindowBytes.At(window, position), frameLength, crc, timestamp);
        var index = _active.Index;
        if (position >= index.NextPosition)
        {
            index.Add(offset, position, _activeMaxTimestamp);
            if (position >= _writeBehindNext) StartWriteBehind(position);
        }
        if (timestamp > _activeMaxTimestamp) _activeMaxTimestamp = timestamp;
        _writePosition = position + aligned;
        _activeRecords++;
        _nextOffset = offset + 1;
        if (_oversize) EndOversize();
        return offset;
    }

    /// <summary>
    /// Publishes every completed record to readers, then applies the flush policy (with
    /// <see cref="FlushPolicy.EveryAppend"/> it returns once they are on disk).
    /// </summary>
    /// <remarks>
    /// A batch that does not fit the active segment rolls it; the roll publishes the records
    /// completed before it in the old segment (readers may see them before this call), since a
    /// sealed segment is final.
    /// </remarks>
    /// <returns>The new <see cref="EndOffset"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Commit()
    {
        var end = _nextOffset;
        _active.Publish(_writePosition, _activeRecords, _activeMaxTimestamp);
        Volatile.Write(ref _endOffset, end);
        // A reader that misses this read of _waiters (store-load reordering) is woken by its wait's
        // backstop period; see WaitForAppend.
        if (Volatile.Read(ref _waiters) != 0) WakeReaders();
        if (_flushEveryAppend) Flush();
        return end;
    }

    /// <summary>Starts the disk write of the active segment's bytes below <paramref name="position"/> not yet started (writer only).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StartWriteBehind(long position)
    {
        // Whole 2 MiB blocks when the write-behind step allows it: the page cache holds a file in
        // naturally aligned folios of up to 2 MiB, and writeback writes a folio whole, so a folio
        // straddling the end would have its mapped pages ahead of the writer write-protected (one
        // TLB shootdown each) and faulted back by the writer's next stores.
        var page = (long)Environment.SystemPageSize;
        var to = position & ~((_options.WriteBehindBytes >= MappedRegion.LargestFolioBytes ? MappedRegion.LargestFolioBytes : page) - 1);
        if (to <= _writeBehindFrom) to = position & ~(page - 1);
        _active.Region.StartWriteBack(_writeBehindFrom, to);
        _writeBehindFrom = to;
        // With staging, spills start write-behind (the bytes below the write position may still be staged).
        _writeBehindNext = _stage is null ? to + _options.WriteBehindBytes : long.MaxValue;
    }

    /// <summary>Write-behind of the active segment starts again from <paramref name="position"/> (writer only).</summary>
    private void ResetWriteBehind(long position)
    {
        var bytes = _options.WriteBehindBytes;
        _writeBehindFrom = position & ~(long)(Environment.SystemPageSize - 1);
        _writeBehindNext = bytes > 0 && _stage is null ? _writeBehindFrom + bytes : long.MaxValue;
    }

    /// <summary>Seals the active segment and starts the next one (prepared ahead when possible).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Roll()
    {
        if (Volatile.Read(ref _disposed) != 0) LogThrow.Disposed();
        var now = NowUnixMs();
        var old = _active;
        if (_stage is not null) SpillStage(); // a sealed segment's bytes are all in its file
        old.Publish(_writePosition, _activeRecords, _activeMaxTimestamp);
        if (old.Recycled) WriteTerminator(old, _writePosition); // before the seal: a scan of a sealed segment must end cleanly
        old.Seal(now);
        var next = TakePrepared() ?? CreateSegmentFile(++_lastFileNumber, touch: TouchPages);
        StartSegment(next, _nextOffset, _options.PayloadFingerprint, now);
        AttachWindow(next, SegmentHeader.Length); // before the segment is published: readers see its written length
        var segments = Volatile.Read(ref _segments);
        var grown = new Segment[segments.Length + 1];
        segments.CopyTo(grown, 0);
        grown[^1] = next;
        Volatile.Write(ref _segments, grown);
        _active = next;
        _activeLength = next.Region.Length;
        _writePosition = SegmentHeader.Length;
        _activeRecords = 0;
        _activeMaxTimestamp = long.MinValue;
        if (_options.WriteBehindBytes > 0) old.Region.StartWriteBack(_writeBehindFrom, old.PublishedLength);
        ResetWriteBehind(SegmentHeader.Length);
        next.Publish(_writePosition, 0, long.MinValue);
        PersistIndex(old);
        // Retention before the request: a segment it frees can then be the one prepared next.
        if (_options.RetentionBytes > 0 || _options.RetentionAge > TimeSpan.Zero) ApplyRetentionCore(deferFiles: _maintenance is not null);
        RequestPrepare();
    }
}
