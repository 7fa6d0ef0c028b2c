namespace Kernel.Storage.Log;

/// <summary>
/// One segment file of the log: its header, its mapping, and what has been published in it.
/// </summary>
/// <remarks>
/// Memory ordering. The writer writes a record's bytes, then publishes
/// <see cref="_publishedLength"/> with <see cref="Volatile.Write(ref long, long)"/> (a release):
/// a reader that takes <see cref="PublishedLength"/> with <see cref="Volatile.Read(ref readonly long)"/> (an
/// acquire) and reads only below it sees complete records. <see cref="_maxTimestamp"/> and
/// <see cref="_recordCount"/> are written before the length they describe, so a reader that reads
/// them after the length sees values at least that new. Sealing writes the final length, then
/// <see cref="_sealed"/>; a reader that sees <see cref="IsSealed"/> and then re-reads the length
/// has the final one.
/// </remarks>
internal sealed class Segment
{
    private long _publishedLength;  // Release-published by the writer after the record bytes.
    private long _recordCount;      // Written before _publishedLength.
    private long _maxTimestamp = long.MinValue; // Written before _publishedLength.
    private bool _sealed;           // Volatile; set after the final _publishedLength.
    private long _writtenLength = long.MaxValue; // Bytes the file holds (staged writes); MaxValue when the file holds everything published.
    private int _refCount = 1;      // The log's own reference; 0 = unmapped. Interlocked.
    private bool _deleteOnRelease;  // Set before the log's reference is released.
    private string? _spareAs;       // Set before the log's reference is released: the spare file's path, handed to _onSpare at the last release.
    private Action<string>? _onSpare;
    private readonly Action<SparseIndex>? _onIndexFree; // Gets the index at the last release, for a later segment.
    private volatile bool _scanned; // False for segments found on disk until their records are walked.
    private readonly Lock _scanLock = new();

    // onIndexFree gets the index once the last reference is released, to reuse for a later segment;
    // only for segments the log creates (a segment found on disk can be scanned by a reader that
    // holds no reference, see EnsureScanned, so its index is never reused).
    public Segment(string path, int fileNumber, SegmentHeader header, MappedRegion region, SparseIndex index, bool scanned,
        Action<SparseIndex>? onIndexFree = null)
    {
        System.Diagnostics.Debug.Assert(onIndexFree is null || scanned, "only a segment that is never scanned lazily lends its index");
        _onIndexFree = onIndexFree;
        Path = path;
        FileNumber = fileNumber;
        Header = header;
        Region = region;
        Index = index;
        _scanned = scanned;
        _publishedLength = SegmentHeader.Length;
    }

    public string Path { get; }
    public int FileNumber { get; }
    public SegmentHeader Header { get; set; }
    public long BaseOffset => Header.BaseOffset;
    public MappedRegion Region { get; }
    public SparseIndex Index { get; }

    /// <summary>Made from a recycled file (set before the segment is started): an older segment's bytes may follow its records.</summary>
    public bool Recycled { get; set; }

    /// <summary>Bytes [0, PublishedLength) hold the header and complete records (acquire).</summary>
    public long PublishedLength => Volatile.Read(ref _publishedLength);

    /// <summary>
    /// With staged writes (<see cref="LogOptions.StagingBytes"/>), the bytes [0, WrittenLength) are
    /// in the file (and so in the mapping); published bytes above it are still in the writer's
    /// staging buffer, and a reader gets them into the file with <see cref="SegmentedLog.WriteStaged"/>.
    /// <see cref="long.MaxValue"/> for every segment but the one being staged (acquire).
    /// </summary>
    public long WrittenLength => Volatile.Read(ref _writtenLength);

    /// <summary>The bytes a reader may read now: published and in the file (acquire).</summary>
    public long ReadableLength => Math.Min(Volatile.Read(ref _publishedLength), Volatile.Read(ref _writtenLength));

    /// <summary>Sets <see cref="WrittenLength"/> (release; under the log's staging lock).</summary>
    public void SetWrittenLength(long length) => Volatile.Write(ref _writtenLength, length);

    /// <summary>Published records in this segment (read after <see cref="PublishedLength"/>).</summary>
    public long RecordCount => Volatile.Read(ref _recordCount);

    /// <summary>The largest timestamp among published records (long.MinValue when none).</summary>
    public long MaxTimestamp => Volatile.Read(ref _maxTimestamp);

    /// <summary>True once the writer has moved past this segment (acquire).</summary>
    public bool IsSealed => Volatile.Read(ref _sealed);

    /// <summary>When the segment was sealed (unix ms), for retention by age.</summary>
    public long SealedUnixMs { get; set; }

    /// <summary>Bytes already forced to disk; touched only under the log's flush lock.</summary>
    public long FlushedLength { get; set; }

    public bool IsScanned => _scanned;

    /// <summary>Publishes records up to <paramref name="length"/> bytes (writer only).</summary>
    public void Publish(long length, long recordCount, long maxTimestamp)
    {
        _recordCount = recordCount;
        _maxTimestamp = maxTimestamp;
        Volatile.Write(ref _publishedLength, length);
    }

    /// <summary>Marks the segment as finished: no record will be added to it.</summary>
    public void Seal(long unixMs)
    {
        SealedUnixMs = unixMs;
        Volatile.Write(ref _sealed, true);
    }

    /// <summary>Reopens a sealed segment for writing (truncation back into it).</summary>
    public void Unseal() => Volatile.Write(ref _sealed, false);

    /// <summary>
    /// Makes a sealed segment found on disk readable, once: loads its persisted index
    /// (<see cref="SegmentIndexFile"/>) when that is present and agrees with the data, and otherwise
    /// walks every record (checking each), rebuilding the index and rewriting its file. A bad frame
    /// found by the walk is corruption in the middle of the log. <paramref name="expectedEnd"/> is
    /// the next segment's base offset.
    /// </summary>
    public void EnsureScanned(long expectedEnd)
    {
        if (_scanned) return;
        lock (_scanLock)
        {
            if (_scanned) return;
            if (SegmentIndexFile.TryLoad(this, expectedEnd, out var summary))
            {
                Publish(summary.ValidLength, summary.Records, summary.MaxTimestamp);
                IndexSource = SegmentIndexSource.Loaded;
            }
            else
            {
                var result = SegmentScanner.Scan(this, Region.Length);
                if (result.Torn)
                    LogThrow.Corrupt(Path, result.ValidLength, $"bad record (offset {BaseOffset + result.Records}) in a sealed segment: checksum or length does not match");
                if (BaseOffset + result.Records != expectedEnd)
                    LogThrow.Corrupt(Path, result.ValidLength, $"segment ends at offset {BaseOffset + result.Records} but the next segment starts at offset {expectedEnd}");
                Publish(result.ValidLength, result.Records, result.MaxTimestamp);
                IndexSource = SegmentIndexSource.Rebuilt;
                TryWriteIndex();
            }
            Seal(SealedUnixMs); // set at open from the next segment's creation time
            _scanned = true;
        }
    }

    /// <summary>Where this segment's index came from (for tests and diagnostics).</summary>
    public SegmentIndexSource IndexSource { get; private set; }

    /// <summary>True when the segment's index file header was read at open (<see cref="SummaryMaxTimestamp"/> is valid).</summary>
    public bool HasSummary { get; private set; }

    /// <summary>The largest timestamp in the segment, from its index file's header (valid with <see cref="HasSummary"/>).</summary>
    public long SummaryMaxTimestamp { get; private set; }

    /// <summary>Reads the header of the segment's index file, if it has a usable one (at open, before any reader).</summary>
    public void ReadSummary()
    {
        if (!SegmentIndexFile.TryReadSummary(Path, Header, out var summary)) return;
        SummaryMaxTimestamp = summary.MaxTimestamp;
        HasSummary = true;
    }

    /// <summary>Writes the index file of this sealed segment; a failure only costs a scan at the next open.</summary>
    public bool TryWriteIndex()
    {
        try
        {
            SegmentIndexFile.Write(this);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Marks a segment found on disk and scanned by recovery as scanned.</summary>
    public void MarkScanned() => _scanned = true;

    /// <summary>Takes a reference so the mapping stays valid; false once the segment is gone.</summary>
    public bool TryAcquire()
    {
        var n = Volatile.Read(ref _refCount);
        while (n > 0)
        {
            var seen = Interlocked.CompareExchange(ref _refCount, n + 1, n);
            if (seen == n) return true;
            n = seen;
        }
        return false;
    }

    /// <summary>Drops a reference; the last one unmaps the file (and deletes it when retired).</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _refCount) != 0) return;
        Region.Dispose();
        // Nobody reads the index any more: readers read it only while they hold a reference.
        _onIndexFree?.Invoke(Index);
        if (_spareAs is { } spare)
        {
            _onSpare!(spare);
            return;
        }
        if (!Volatile.Read(ref _deleteOnRelease)) return;
        File.Delete(Path);
        SegmentIndexFile.Delete(Path);
    }

    /// <summary>
    /// Drops the log's reference like <see cref="Retire"/> with delete, but keeps the file for reuse:
    /// its index file is deleted and the file renamed to <paramref name="sparePath"/> now (readers
    /// keep their mapping), and <paramref name="onFree"/> gets the path once no reader maps it any
    /// more, so it is never zeroed under a reader. Linux only (a mapped file can be renamed).
    /// </summary>
    /// <exception cref="IOException">The rename failed; the segment is unchanged and still referenced.</exception>
    public void RetireAsSpare(string sparePath, Action<string> onFree)
    {
        SegmentIndexFile.Delete(Path);
        File.Move(Path, sparePath);
        _spareAs = sparePath;
        _onSpare = onFree;
        Release(); // its interlocked decrement publishes the two fields to whichever thread releases last
    }

    /// <summary>Drops the log's reference and deletes the file once every reader is done with it.</summary>
    public void Retire(bool delete)
    {
        // Linux lets a mapped file be unlinked (readers keep the pages); elsewhere the last release deletes it.
        if (delete && OperatingSystem.IsLinux())
        {
            SegmentIndexFile.Delete(Path);
            File.Delete(Path);
        }
        else Volatile.Write(ref _deleteOnRelease, delete);
        Release();
    }
}

/// <summary>Where a segment's sparse index came from.</summary>
internal enum SegmentIndexSource
{
    /// <summary>Built by the writer as it appended, or by recovery's scan of the tail segment.</summary>
    Written,

    /// <summary>Loaded from the segment's index file.</summary>
    Loaded,

    /// <summary>Rebuilt by walking the segment (no usable index file).</summary>
    Rebuilt,
}
