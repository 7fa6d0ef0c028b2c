namespace Kernel.Storage.Log;

public sealed partial class SegmentedLog
{
    /// <summary>
    /// Deletes the oldest whole segments while the log is over <see cref="LogOptions.RetentionBytes"/>
    /// or they were sealed longer ago than <see cref="LogOptions.RetentionAge"/>. Never deletes the
    /// active segment nor a segment holding an offset at or after <see cref="RetentionFloor"/>.
    /// Readers positioned in a deleted segment finish it (its mapping lives until they move on).
    /// Writer thread only; also runs on every segment roll when retention is configured.
    /// </summary>
    /// <returns>How many segments were deleted.</returns>
    public int ApplyRetention() => ApplyRetentionCore(deferFiles: false);

    /// <summary>
    /// <see cref="ApplyRetention()"/>; with <paramref name="deferFiles"/> the dropped segments leave
    /// the log at once but their files are deleted (or kept as spares) by the maintenance thread:
    /// deleting a 64 MiB file took the writer ~65 ms a roll on this machine's disk. A crash before
    /// then leaves the oldest files in place, as an undone deletion would; they go oldest first, so
    /// no gap opens.
    /// </summary>
    private int ApplyRetentionCore(bool deferFiles)
    {
        var maxBytes = _options.RetentionBytes;
        var maxAgeMs = (long)_options.RetentionAge.TotalMilliseconds;
        if (maxBytes <= 0 && maxAgeMs <= 0) return 0;
        // At a roll (deferred), without the flush lock: waiting for it made the roll wait for an
        // interval flush's whole msync (~50 ms a run of the steady benchmark case under load). The
        // lock is not needed there: only the writer changes the segment array; a concurrent flush
        // or index write works on the array it read, and the dropped segments' files are deleted on
        // the maintenance thread, after any index write it started for them.
        if (deferFiles) return DropRetained(deferFiles, maxBytes, maxAgeMs);
        lock (_flushLock) return DropRetained(deferFiles, maxBytes, maxAgeMs);
    }

    /// <summary>Drops the segments retention lets go (writer only; under the flush lock unless <paramref name="deferFiles"/>).</summary>
    private int DropRetained(bool deferFiles, long maxBytes, long maxAgeMs)
    {
        var segments = Volatile.Read(ref _segments);
        long total = 0;
        foreach (var s in segments) total += s.Region.Length;
        var floor = RetentionFloor;
        var now = NowUnixMs();
        var drop = 0;
        for (var i = 0; i + 1 < segments.Length; i++)
        {
            if (segments[i + 1].BaseOffset > floor) break; // segment i holds an offset at or after the floor
            var tooBig = maxBytes > 0 && total > maxBytes;
            var tooOld = maxAgeMs > 0 && now - segments[i].SealedUnixMs > maxAgeMs;
            if (!tooBig && !tooOld) break;
            total -= segments[i].Region.Length;
            drop++;
        }
        if (drop == 0) return 0;
        Volatile.Write(ref _segments, segments[drop..]);
        Volatile.Write(ref _startOffset, segments[drop].BaseOffset);
        for (var i = 0; i < drop; i++)
        {
            if (deferFiles) _retired.Enqueue(segments[i]);
            else RetireOrRecycle(segments[i]);
        }
        if (deferFiles) _wake.Set();
        return drop;
    }

    /// <summary>
    /// Retires a segment retention dropped: kept as a spare for <see cref="CreateSegmentFile"/>
    /// when recycling is on and the pool has room, else deleted.
    /// </summary>
    private void RetireOrRecycle(Segment segment)
    {
        if (_options.RecycleSegments > 0 && SpareSegmentFile.IsSupported && segment.Region.Length == _options.SegmentBytes)
        {
            if (Interlocked.Increment(ref _spareCount) <= _options.RecycleSegments)
            {
                try
                {
                    segment.RetireAsSpare(SparePathOf(segment.FileNumber), _spareFreed);
                    return;
                }
                catch (IOException)
                {
                    // The rename failed: delete the file as without recycling.
                }
            }
            Interlocked.Decrement(ref _spareCount);
        }
        segment.Retire(delete: true);
    }

    /// <summary>
    /// Removes every record after <paramref name="offset"/> (keeps offsets up to and including it;
    /// pass <see cref="StartOffset"/> - 1 to empty the log). The cut bytes are zeroed and flushed,
    /// and later segments deleted. Writer thread only, with no reader positioned past the cut.
    /// </summary>
    public void TruncateAfter(long offset)
    {
        if (_reservedLength >= 0) LogThrow.AlreadyReserved();
        var keepEnd = offset + 1;
        if (keepEnd >= _nextOffset) return;
        if (_stage is not null) SpillStage(); // the cut reads and rewrites the file's bytes
        var start = StartOffset;
        if (keepEnd < start)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"offset {offset} is before the log start {start} - 1");
        lock (_flushLock)
        {
            var segments = Volatile.Read(ref _segments);
            var k = segments.Length - 1;
            while (k > 0 && segments[k].BaseOffset > keepEnd) k--;
            while (k > 0 && segments[k].BaseOffset == keepEnd && segments[k - 1].BaseOffset == keepEnd) k--; // empty segments
            var target = segments[k];
            if (k + 1 < segments.Length && !target.IsScanned) target.EnsureScanned(segments[k + 1].BaseOffset);

            // Find the byte position of record keepEnd inside the target.
            long position = SegmentHeader.Length;
            var at = target.BaseOffset;
            if (target.Index.FloorByOffset(keepEnd, out var entryOffset, out var entryPosition))
            {
                at = entryOffset;
                position = entryPosition;
            }
            var region = target.Region;
            while (at < keepEnd)
            {
                var aligned = RecordFrame.Validate(region, position, target.PublishedLength, at, out _);
                if (aligned <= 0)
                    LogThrow.Corrupt(target.Path, position, $"record at offset {at} fails its checksum or length check");
                position += aligned;
                at++;
            }

            for (var i = segments.Length - 1; i > k; i--) segments[i].Retire(delete: true);
            var used = target.PublishedLength;
            if (segments.Length - 1 == k) used = Math.Max(used, _writePosition);
            // The index file goes (durably) before the data changes: no crash, power loss included, can
            // leave an index that describes bytes this cut rewrites.
            if (File.Exists(SegmentIndexFile.PathFor(target.Path)))
            {
                SegmentIndexFile.Delete(target.Path);
                LogDirectorySync.Sync(_directory); // the deletion reaches the disk before the cut does
            }
            region.Span(position, (int)(used - position)).Clear();
            region.Flush(position, used);

            // Rebuild the target's index and counters over what is left.
            target.Index.TruncateFrom(target.BaseOffset);
            var scan = SegmentScanner.Scan(target, position);
            target.Unseal();
            var kept = segments[..(k + 1)];
            Volatile.Write(ref _segments, kept);
            _active = target;
            _activeLength = region.Length;
            _writePosition = position;
            ResetWriteBehind(position);
            _activeRecords = scan.Records;
            _activeMaxTimestamp = scan.MaxTimestamp;
            _nextOffset = keepEnd;
            target.Publish(position, scan.Records, scan.MaxTimestamp);
            AttachWindow(target, position); // after the shorter length: nothing staged is ever published above the cut
            target.FlushedLength = Math.Min(target.FlushedLength, position);
            Volatile.Write(ref _endOffset, keepEnd);
            if (Volatile.Read(ref _durableOffset) > keepEnd) Volatile.Write(ref _durableOffset, keepEnd);
        }
    }
}
