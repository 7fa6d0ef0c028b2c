using System.Globalization;

namespace Kernel.Storage.Log;

public sealed partial class SegmentedLog
{
    /// <summary>
    /// Opens the segment files in order. Only the last segment is scanned: it is where a crash can
    /// leave a torn record, and everything from its first torn or bad frame on is zeroed. Earlier
    /// segments are checked record by record when first read, where a bad frame is corruption.
    /// </summary>
    private void Recover()
    {
        var files = ListSegmentFiles();
        DeleteStrayIndexFiles(files);
        AdoptSpareFiles();
        var blanks = 0;
        // A blank last file is a segment that was prepared ahead and never started.
        while (files.Count > 0 && IsBlankFile(files[^1].Path))
        {
            File.Delete(files[^1].Path);
            files.RemoveAt(files.Count - 1);
            blanks++;
        }
        if (files.Count == 0)
        {
            var first = CreateSegmentFile(0, touch: TouchPages);
            StartSegment(first, 0, _options.PayloadFingerprint, NowUnixMs());
            _segments = [first];
            _lastFileNumber = 0;
            ActivateTail(first, SegmentHeader.Length, 0, long.MinValue);
            Recovery = new RecoveryReport(1, 0, 0, blanks, null, -1);
            return;
        }

        var segments = new List<Segment>(files.Count);
        try
        {
            foreach (var (number, path) in files)
            {
                var s = OpenSegmentFile(number, path);
                segments.Add(s);
                if (segments.Count > 1 && s.BaseOffset < segments[^2].BaseOffset)
                    throw new LogCorruptionException(path, 8, $"base offset {s.BaseOffset} is below the previous segment's base offset {segments[^2].BaseOffset}");
            }
        }
        catch
        {
            foreach (var s in segments) s.Retire(delete: false);
            throw;
        }
        for (var i = 0; i + 1 < segments.Count; i++)
        {
            segments[i].ReadSummary();
            segments[i].SealedUnixMs = segments[i + 1].Header.CreatedUnixMs;
            segments[i].FlushedLength = 0; // what a killed writer left in the page cache may not be on disk yet
        }

        var tail = segments[^1];
        SegmentIndexFile.Delete(tail.Path); // the tail is scanned (below) and written to: an index of it is stale
        var scan = SegmentScanner.Scan(tail, tail.Region.Length);
        long bytesDropped = 0, recordsDropped = 0, truncatedAt = -1;
        if (scan.Torn && tail.Header.Recycled)
        {
            // What follows the last good record may be the recycled file's older records, which
            // cannot be told apart from a torn write's: the first bad frame is what is dropped, and a
            // terminator there ends the segment cleanly (the old bytes after it are never read).
            (bytesDropped, recordsDropped) = (SegmentScanner.FirstFrameExtent(tail.Region, scan.ValidLength), 1);
            var end = WriteTerminator(tail, scan.ValidLength);
            tail.Region.Flush(scan.ValidLength, end);
            truncatedAt = scan.ValidLength;
        }
        else if (scan.Torn)
        {
            (bytesDropped, recordsDropped) = SegmentScanner.MeasureGarbage(tail.Region, scan.ValidLength);
            tail.Region.Span(scan.ValidLength, (int)bytesDropped).Clear();
            tail.Region.Flush(scan.ValidLength, scan.ValidLength + bytesDropped);
            truncatedAt = scan.ValidLength;
        }
        if (TouchPages)
        {
            var page = Environment.SystemPageSize;
            tail.Region.TouchShared((scan.ValidLength + page - 1) & ~(long)(page - 1), tail.Region.Length);
        }
        tail.MarkScanned();
        _segments = segments.ToArray();
        _lastFileNumber = tail.FileNumber;
        ActivateTail(tail, scan.ValidLength, scan.Records, scan.MaxTimestamp);
        Recovery = new RecoveryReport(segments.Count, recordsDropped, bytesDropped, blanks, tail.Path, truncatedAt);
    }

    private void ActivateTail(Segment tail, long validLength, long records, long maxTimestamp)
    {
        _active = tail;
        _activeLength = tail.Region.Length;
        _writePosition = validLength;
        AttachWindow(tail, validLength);
        ResetWriteBehind(validLength);
        _activeRecords = records;
        _activeMaxTimestamp = maxTimestamp;
        _nextOffset = tail.BaseOffset + records;
        tail.Publish(validLength, records, maxTimestamp);
        tail.FlushedLength = 0;
        _endOffset = _nextOffset;
        _startOffset = _segments[0].BaseOffset;
        // Nothing found on disk is known to be durable (a killed writer's pages may still be in the
        // page cache) until the first Flush, which writes back every segment.
        _durableOffset = _startOffset;
    }

    /// <summary>
    /// Spare files left by an earlier run become this run's spares, up to
    /// <see cref="LogOptions.RecycleSegments"/> of the current segment size; the others are deleted.
    /// </summary>
    private void AdoptSpareFiles()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, "*" + SpareSegmentFile.Extension))
        {
            var keep = _options.RecycleSegments > 0 && SpareSegmentFile.IsSupported
                && new FileInfo(path).Length == _options.SegmentBytes
                && _spareCount < _options.RecycleSegments;
            if (keep)
            {
                _spares.Enqueue(path);
                _spareCount++;
            }
            else File.Delete(path);
        }
    }

    private List<(int Number, string Path)> ListSegmentFiles()
    {
        var files = new List<(int, string)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, "*" + Extension))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (name.Length != 10 || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                throw new LogFormatException(path, "a .seg file whose name is not a 10-digit segment number");
            files.Add((number, path));
        }
        files.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return files;
    }

    /// <summary>Deletes index files left half-written or without their segment (retention or truncation interrupted).</summary>
    private void DeleteStrayIndexFiles(List<(int Number, string Path)> segmentFiles)
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory, "*" + SegmentIndexFile.Extension + "*"))
        {
            if (path.EndsWith(SegmentIndexFile.Extension + ".tmp", StringComparison.Ordinal)) File.Delete(path);
            else if (path.EndsWith(SegmentIndexFile.Extension, StringComparison.Ordinal)
                && !segmentFiles.Exists(f => string.Equals(Path.ChangeExtension(f.Path, SegmentIndexFile.Extension), path, StringComparison.Ordinal)))
                File.Delete(path);
        }
    }

    private static bool IsBlankFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[SegmentHeader.Length];
        var n = RandomAccess.Read(handle, header, 0);
        return !header[..n].ContainsAnyExcept((byte)0);
    }

    private Segment OpenSegmentFile(int number, string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            Span<byte> bytes = stackalloc byte[SegmentHeader.Length];
            var n = RandomAccess.Read(stream.SafeFileHandle, bytes, 0);
            var header = SegmentHeader.Read(bytes[..n], path);
            if (header.PayloadFingerprint != _options.PayloadFingerprint)
                throw new LogFormatException(path, $"payload fingerprint 0x{header.PayloadFingerprint:X16} at byte 16, but the log was opened with 0x{_options.PayloadFingerprint:X16}");
            var length = stream.Length;
            if (header.SegmentLength != length)
                throw new LogCorruptionException(path, 24, $"the header says the segment has {header.SegmentLength} bytes but the file has {length}");
            var region = new MappedRegion(stream, length);
            return new Segment(path, number, header, region, new SparseIndex(length, _options.IndexIntervalBytes), scanned: false)
            {
                Recycled = header.Recycled,
            };
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
