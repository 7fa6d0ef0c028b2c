using System.Globalization;

namespace Kernel.Storage.Log;

/// <summary>
/// A segmented, append-only, memory-mapped log of records with dense logical offsets. One writer
/// thread appends (<see cref="Append"/>, or <see cref="Reserve"/>/<see cref="Complete"/> and one
/// <see cref="Commit"/> per batch); any number of <see cref="LogReader"/>s read at the same time.
/// Payloads are opaque bytes: the log knows nothing about what they hold.
/// </summary>
/// <remarks>
/// <para>Files: <c>NNNNNNNNNN.seg</c> in one directory, numbered in order. Each starts with a
/// <see cref="SegmentHeader"/> and holds <see cref="RecordFrame"/>s.</para>
/// <para>Write path: by default the writer frames records in a staging buffer and writes it to the
/// file in large writes (<see cref="LogOptions.StagingBytes"/>); a reader that reaches committed
/// records still staged writes them out itself (<see cref="WriteStaged"/>), so they are readable
/// once committed. With <see cref="LogOptions.StagingBytes"/> 0 the writer stores into the mapping.</para>
/// <para>Memory ordering: the writer writes a record's bytes (into the staging buffer or the mapping), then on commit
/// publishes the segment's length (<see cref="Segment.Publish"/>) and then <see cref="EndOffset"/>,
/// each with <see cref="Volatile.Write(ref long, long)"/>. Readers take those with
/// <see cref="Volatile.Read(ref readonly long)"/> and read only below them, so they see whole records.
/// Rolling to a new segment seals the old one before the new one is added to the segment array,
/// which is replaced (never changed in place) and published with <see cref="Volatile.Write{T}(ref T, T)"/>.</para>
/// <para>Threads: <see cref="Reserve"/>, <see cref="Complete"/>, <see cref="Commit"/>,
/// <see cref="Append"/>, <see cref="ApplyRetention"/> and <see cref="TruncateAfter"/> belong to the
/// writer's thread; <see cref="Flush"/>, the properties and <see cref="OpenReader"/> may be called
/// from any thread. <see cref="TruncateAfter"/> must not run while a reader reads past the cut.</para>
/// </remarks>
public sealed partial class SegmentedLog : IDisposable
{
    private const string Extension = ".seg";

    private readonly string _directory;
    private readonly LogOptions _options;
    private readonly int _maxPayload;
    private readonly bool _flushEveryAppend;

    private Segment[] _segments;     // Replaced, never mutated; written by the writer with Volatile.Write.
    private Segment _active;         // Writer only: the segment being appended to (always _segments[^1]).
    private long _activeLength;      // Writer only: _active's file length.
    private long _writePosition;     // Writer only: next free byte in _active.
    private long _nextOffset;        // Writer only: the offset Complete assigns next.
    private long _activeRecords;     // Writer only: records in _active, including uncommitted ones.
    private long _activeMaxTimestamp;// Writer only.
    private int _reservedLength = -1;// Writer only: payload length of the open reservation, -1 when none.
    private int _lastFileNumber;     // Writer only: number of the newest file (active or prepared).
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _spares = new(); // Freed segment files no reader maps, ready for reuse.
    private readonly Action<string> _spareFreed; // _spares.Enqueue, allocated once.
    private int _spareCount;         // Interlocked: spares in _spares plus those still mapped by a reader.
    private readonly System.Collections.Concurrent.ConcurrentQueue<SparseIndex> _freeIndexes = new(); // Indexes of released segments, for new ones.
    private readonly Action<SparseIndex> _indexFreed; // ReturnIndex, allocated once.
    private int _freeIndexCount;     // Interlocked: indexes in _freeIndexes.
    private const int MaxFreeIndexes = 4;
    private long _writeBehindFrom;   // Writer only: where in _active the next write-behind starts (page-aligned).
    private long _writeBehindNext = long.MaxValue; // Writer only: the write position that triggers it; MaxValue when off (and with staging, where spills trigger it).
    private nint _window;            // Writer only: origin of the writer's window (segment byte p at _window + p): the staging buffer or the active mapping.
    private long _windowLimit;       // Writer only: positions below this are inside the window (checked before every store).
    private bool _oversize;          // Writer only: the window is the mapping for one record larger than the staging buffer.
    private readonly StagingBuffer? _stage; // With LogOptions.StagingBytes: where the writer frames records before they go to the file.
    private Segment? _stagedSegment; // Under _stageLock: the segment the staging buffer holds bytes of.
    private long _stageBase;         // Under _stageLock: the segment position of the staging buffer's first byte.
    private readonly Lock _stageLock = new(); // Serializes writes of staged bytes to the file and moves of the staging window.

    private long _endOffset;         // Published by Commit (Volatile.Write) after the segment length.
    private long _durableOffset;     // Published by Flush (Volatile.Write) after msync returned.
    private long _startOffset;       // Published by retention (Volatile.Write) after the array.
    private long _retentionFloor;    // Volatile; any thread may raise it.
    private int _waiters;            // Readers blocked in WaitForAppend (Interlocked).
    private int _disposed;           // 1 once Dispose began (Interlocked).
    private readonly object _signal = new();   // Monitor readers wait on for appends.
    private readonly Lock _flushLock = new();  // Serializes Flush, retention and truncation.
    private FileStream? _directoryLock;        // Held open (exclusively) while the log is open.

    private SegmentedLog(string directory, LogOptions options)
    {
        _directory = directory;
        _options = options;
        _maxPayload = (int)Math.Min(int.MaxValue - 64, options.SegmentBytes - SegmentHeader.Length - RecordFrame.HeaderLength - RecordFrame.Alignment);
        _flushEveryAppend = options.FlushPolicy == FlushPolicy.EveryAppend;
        _segments = [];
        _active = null!;
        _spareFreed = _spares.Enqueue;
        _indexFreed = ReturnIndex;
        if (options.StagingBytes > 0) _stage = new StagingBuffer(options.StagingBytes);
    }

    /// <summary>Pages of new segments are pre-touched only when the writer stores into the mapping (no staging).</summary>
    private bool TouchPages => _options.PreTouchPages && _stage is null;

    /// <summary>
    /// Opens the log in <paramref name="directory"/> (creating it when empty), recovering the tail
    /// segment: a torn or bad record at the end and everything after it is cut (see <see cref="Recovery"/>).
    /// </summary>
    /// <exception cref="LogFormatException">A file of another format, version or payload fingerprint.</exception>
    /// <exception cref="LogCorruptionException">A segment header is damaged.</exception>
    public static SegmentedLog Open(string directory, LogOptions options)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        System.IO.Directory.CreateDirectory(directory);
        var log = new SegmentedLog(directory, options);
        try
        {
            log.TakeDirectoryLock();
            log.Recover();
            log.StartMaintenance();
        }
        catch
        {
            log.DisposeSegments();
            throw;
        }
        return log;
    }

    /// <summary>The directory holding the segment files.</summary>
    public string Directory => _directory;

    /// <summary>What opening the log found and repaired.</summary>
    public RecoveryReport Recovery { get; private set; }

    /// <summary>The payload fingerprint every segment carries.</summary>
    public ulong PayloadFingerprint => _options.PayloadFingerprint;

    /// <summary>The offset of the oldest record still kept (retention moves it forward).</summary>
    public long StartOffset => Volatile.Read(ref _startOffset);

    /// <summary>The offset the next committed record gets: records [<see cref="StartOffset"/>, EndOffset) are readable.</summary>
    public long EndOffset => Volatile.Read(ref _endOffset);

    /// <summary>Every record with an offset below this has reached the disk.</summary>
    public long DurableOffset => Volatile.Read(ref _durableOffset);

    /// <summary>Segment files currently kept.</summary>
    public int SegmentCount => Volatile.Read(ref _segments).Length;

    /// <summary>The largest payload a record may have.</summary>
    public int MaxPayloadLength => _maxPayload;

    /// <summary>
    /// Offsets at or after this are never deleted by retention. A checkpoint coordinator raises it
    /// to the offset its oldest retained checkpoint replays from. Default 0: retention deletes nothing.
    /// </summary>
    public long RetentionFloor
    {
        get => Volatile.Read(ref _retentionFloor);
        set => Volatile.Write(ref _retentionFloor, value);
    }

    /// <summary>Flushes (unless the policy is <see cref="FlushPolicy.None"/>), stops the background thread and unmaps the files readers no longer use.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        StopMaintenance();
        if (_stage is not null && _active is not null) SpillStage(); // every record the writer completed goes to the file
        if (_options.FlushPolicy != FlushPolicy.None) Flush();
        // A clean end for the next open: nothing was reserved after the published records (the
        // writer is done), so the bytes after them belong to nobody.
        if (_active is { } active && active.Recycled)
        {
            var end = WriteTerminator(active, _writePosition);
            if (_options.FlushPolicy != FlushPolicy.None) active.Region.Flush(_writePosition, end);
        }
        WakeReaders();
        DisposeSegments();
        _preparedReady.Dispose();
    }

    private void DisposeSegments()
    {
        if (_stage is not null)
        {
            lock (_stageLock)
            {
                _stagedSegment = null;
                _stage.Dispose();
            }
        }
        DiscardPrepared();
        foreach (var s in Volatile.Read(ref _segments)) s.Retire(delete: false);
        Volatile.Write(ref _segments, []);
        _directoryLock?.Dispose();
    }

    /// <summary>One writer per directory: an exclusive lock on <c>LOCK</c> (flock on Unix), released by the OS if the process dies.</summary>
    private void TakeDirectoryLock()
    {
        var path = Path.Combine(_directory, "LOCK");
        try
        {
            _directoryLock = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{path}: the log is already open (by this or another process); a log has one writer", e);
        }
    }

    private string PathOf(int fileNumber) =>
        Path.Combine(_directory, fileNumber.ToString("D10", CultureInfo.InvariantCulture) + Extension);

    private string SparePathOf(int fileNumber) =>
        Path.Combine(_directory, fileNumber.ToString("D10", CultureInfo.InvariantCulture) + SpareSegmentFile.Extension);

    private long NowUnixMs() => _options.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Creates, preallocates and maps a segment file with a blank header, touching every page when asked.</summary>
    private Segment CreateSegmentFile(int fileNumber, bool touch)
    {
        var path = PathOf(fileNumber);
        var length = _options.SegmentBytes;
        if (TryReuseSpare(path, length) is { } reused)
        {
            var segment = MapNewSegment(reused, path, fileNumber, length, touch);
            segment.Recycled = true;
            return segment;
        }
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            PreallocationSize = length,
        });
        try
        {
            stream.SetLength(length);
            stream.Flush(flushToDisk: true); // the file's size is durable before any record relies on it
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
        return MapNewSegment(stream, path, fileNumber, length, touch);
    }

    /// <summary>
    /// A spare file with its header blanked (durably) and renamed to <paramref name="path"/>, open;
    /// null when there is none (or none usable: such spares are deleted).
    /// </summary>
    private FileStream? TryReuseSpare(string path, long length)
    {
        while (_spares.TryDequeue(out var spare))
        {
            Interlocked.Decrement(ref _spareCount);
            FileStream? stream = null;
            try
            {
                stream = new FileStream(spare, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                // Its header blank and durable before it has a segment's name: a crash at any point leaves
                // either a spare (reused or deleted on open) or a blank last segment (deleted on open), as a
                // fresh file would. The old records after the header stay (see SpareSegmentFile).
                if (stream.Length == length && SpareSegmentFile.TryBlankHeader(stream.SafeFileHandle))
                {
                    File.Move(spare, path);
                    return stream;
                }
            }
            catch (IOException)
            {
                // An unusable spare: deleted below, and a fresh file made instead.
            }
            stream?.Dispose();
            TryDelete(spare);
        }
        return null;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { } // a spare that cannot be deleted now is deleted or reused on the next open
    }

    /// <summary>Makes a new segment's name durable, maps it and touches its pages when asked.</summary>
    private Segment MapNewSegment(FileStream stream, string path, int fileNumber, long length, bool touch)
    {
        MappedRegion region;
        try
        {
            // The name too: fsync of a new file (or of a renamed spare) does not make its directory entry durable (POSIX; ext4's
            // journal happens to, other file systems need not), and a flush that advances DurableOffset
            // over records in a file the directory forgot would be a lie after power loss.
            LogDirectorySync.Sync(_directory);
            region = new MappedRegion(stream, length);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
        if (touch) region.TouchShared(0, length);
        region.WrittenThroughFile = _stage is not null;
        return new Segment(path, fileNumber, default, region, RentIndex(length), scanned: true, _indexFreed);
    }

    /// <summary>An empty index for a new segment: one a released segment left, else a new one.</summary>
    private SparseIndex RentIndex(long length)
    {
        var interval = _options.IndexIntervalBytes;
        while (_freeIndexes.TryDequeue(out var index))
        {
            Interlocked.Decrement(ref _freeIndexCount);
            if (!index.Fits(length, interval)) continue;
            index.Reset();
            return index;
        }
        return new SparseIndex(length, interval);
    }

    /// <summary>Keeps a released segment's index for the next new segment (any thread; a few at most).</summary>
    private void ReturnIndex(SparseIndex index)
    {
        if (Interlocked.Increment(ref _freeIndexCount) <= MaxFreeIndexes) _freeIndexes.Enqueue(index);
        else Interlocked.Decrement(ref _freeIndexCount);
    }

    /// <summary>
    /// Points the writer's window at <paramref name="segment"/> from <paramref name="position"/>
    /// (writer only, before any record after <paramref name="position"/> is published): the
    /// staging buffer when staging, else the segment's mapping. Bytes below the position are in the file.
    /// </summary>
    private void AttachWindow(Segment segment, long position)
    {
        var length = segment.Region.Length;
        _oversize = false;
        if (_stage is null)
        {
            _window = segment.Region.Origin;
            _windowLimit = length;
            return;
        }
        segment.Region.WrittenThroughFile = true;
        lock (_stageLock)
        {
            segment.SetWrittenLength(position);
            _stagedSegment = segment;
            _stageBase = position;
        }
        _window = _stage.OriginFor(position);
        _windowLimit = Math.Min(position + _stage.Length, length);
    }

    /// <summary>
    /// Writes every staged byte of the active segment, committed or not, to the file and starts the
    /// staging window again at the write position (writer only); starts write-behind when due.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void SpillStage()
    {
        var segment = _active;
        var to = _writePosition;
        var stage = _stage!;
        lock (_stageLock)
        {
            var from = segment.WrittenLength;
            if (to > from) segment.Region.Write(stage.Staged(_stageBase, from, to), from);
            segment.SetWrittenLength(to);
            _stageBase = to;
        }
        _window = stage.OriginFor(to);
        _windowLimit = Math.Min(to + stage.Length, _activeLength);
        var behind = _options.WriteBehindBytes;
        if (behind > 0 && to - _writeBehindFrom >= behind) StartWriteBehind(to);
    }

    /// <summary>
    /// Writes the committed records still in the staging buffer to the file, so that readers of the
    /// mapping (and a flush) see them. Any thread; a reader calls it when it reaches published
    /// bytes above <see cref="Segment.WrittenLength"/>. The bytes it copies are committed, so the
    /// writer no longer changes them, and it holds the staging lock, so the writer does not reuse
    /// the buffer under it.
    /// </summary>
    internal void WriteStaged()
    {
        lock (_stageLock)
        {
            if (_stagedSegment is not { } segment) return;
            var from = segment.WrittenLength;
            var to = segment.PublishedLength;
            if (to <= from) return;
            segment.Region.Write(_stage!.Staged(_stageBase, from, to), from);
            segment.SetWrittenLength(to);
        }
    }

    /// <summary>
    /// Zeroes the frame header at <paramref name="position"/> (or the whole rest of the segment when
    /// shorter), so that a scan ends cleanly there: a recycled file holds an older segment's bytes
    /// after the records (see <see cref="SpareSegmentFile"/>), which would otherwise read as a torn
    /// record. Returns the end of the zeroed bytes.
    /// </summary>
    private static long WriteTerminator(Segment segment, long position)
    {
        var end = Math.Min(position + RecordFrame.HeaderLength, segment.Region.Length);
        if (end > position) segment.Region.Span(position, (int)(end - position)).Clear();
        return end;
    }

    /// <summary>Writes the header of a fresh segment starting at <paramref name="baseOffset"/>.</summary>
    private static void StartSegment(Segment segment, long baseOffset, ulong fingerprint, long nowUnixMs)
    {
        var header = new SegmentHeader(baseOffset, fingerprint, segment.Region.Length, nowUnixMs,
            segment.Recycled ? SegmentHeader.RecycledFlag : 0);
        header.Write(segment.Region.Span(0, SegmentHeader.Length));
        segment.Header = header;
    }
}
