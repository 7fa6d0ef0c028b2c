namespace Kernel.Storage.Log;

/// <summary>
/// A segment's sparse index: one entry at least every <c>interval</c> bytes of records, giving the
/// record's offset, its byte position, and the largest timestamp of the records before it in the
/// segment. Seeks binary-search it and then scan at most one interval.
/// </summary>
/// <remarks>
/// Single writer (the log writer, or the one thread that scans a segment), many readers. Entries are
/// written first and <see cref="_count"/> is published after them with <see cref="Volatile.Write(ref int, int)"/>;
/// readers take <see cref="Volatile.Read(ref readonly int)"/> of the count and read only entries below it.
/// The arrays are sized for a full segment up front, so adding an entry never allocates; a
/// segment's index (three arrays of 8 bytes per interval: 384 KiB for 64 MiB at 4 KiB) is handed
/// to a later segment once the segment is gone (<see cref="Reset"/>), so a rolling log does not
/// allocate one per roll.
/// </remarks>
internal sealed class SparseIndex
{
    private readonly long[] _offsets;
    private readonly long[] _positions;
    private readonly long[] _maxTimestampBefore;
    private readonly long _interval;
    private long _nextPosition;
    private int _count; // Published with Volatile.Write after the entry below it is written.

    /// <summary>Creates an index for a segment of <paramref name="segmentLength"/> bytes.</summary>
    public SparseIndex(long segmentLength, int interval)
    {
        var capacity = CapacityFor(segmentLength, interval);
        _offsets = new long[capacity];
        _positions = new long[capacity];
        _maxTimestampBefore = new long[capacity];
        _interval = interval;
    }

    /// <summary>
    /// Empties the index for reuse by a new segment of the same length and interval. Only once no
    /// thread can read it any more (its segment's last reference was released).
    /// </summary>
    public void Reset()
    {
        _nextPosition = 0;
        Volatile.Write(ref _count, 0);
    }

    /// <summary>True when this index fits a segment of <paramref name="segmentLength"/> bytes with entries every <paramref name="interval"/> bytes, as a new one would.</summary>
    public bool Fits(long segmentLength, int interval) =>
        _interval == interval && _offsets.Length == CapacityFor(segmentLength, interval);

    /// <summary>Entries an index of a segment of <paramref name="segmentLength"/> bytes can hold: one per interval, and the ends.</summary>
    private static int CapacityFor(long segmentLength, int interval) => (int)(segmentLength / interval) + 2;

    /// <summary>Entries published so far (acquire).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The most entries the index can hold.</summary>
    public int Capacity => _offsets.Length;

    /// <summary>Entry <paramref name="i"/> (below <see cref="Count"/>).</summary>
    public void Entry(int i, out long offset, out long position, out long maxTimestampBefore)
    {
        offset = _offsets[i];
        position = _positions[i];
        maxTimestampBefore = _maxTimestampBefore[i];
    }

    /// <summary>The position at or after which the next record gets an entry.</summary>
    public long NextPosition => _nextPosition;

    /// <summary>Adds an entry for the record at <paramref name="position"/> (writer only).</summary>
    public void Add(long offset, long position, long maxTimestampBefore)
    {
        var n = _count;
        if (n == _offsets.Length) return; // cannot happen for records inside the segment; keeps the index bounded anyway
        _offsets[n] = offset;
        _positions[n] = position;
        _maxTimestampBefore[n] = maxTimestampBefore;
        _nextPosition = position + _interval;
        Volatile.Write(ref _count, n + 1);
    }

    /// <summary>Forgets every entry at or after <paramref name="offset"/> (writer only, on truncation).</summary>
    public void TruncateFrom(long offset)
    {
        var n = _count;
        while (n > 0 && _offsets[n - 1] >= offset) n--;
        Volatile.Write(ref _count, n);
        _nextPosition = n == 0 ? 0 : _positions[n - 1] + _interval;
    }

    /// <summary>The last entry whose offset is at most <paramref name="offset"/>; false when there is none.</summary>
    public bool FloorByOffset(long offset, out long entryOffset, out long position)
    {
        var n = Volatile.Read(ref _count);
        int lo = 0, hi = n - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_offsets[mid] <= offset) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (found < 0) { entryOffset = position = 0; return false; }
        entryOffset = _offsets[found];
        position = _positions[found];
        return true;
    }

    /// <summary>
    /// The last entry before which every record has a timestamp below <paramref name="timestamp"/>:
    /// the first record at or after <paramref name="timestamp"/> is at or after it.
    /// </summary>
    public bool FloorByTime(long timestamp, out long entryOffset, out long position)
    {
        var n = Volatile.Read(ref _count);
        int lo = 0, hi = n - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_maxTimestampBefore[mid] < timestamp) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (found < 0) { entryOffset = position = 0; return false; }
        entryOffset = _offsets[found];
        position = _positions[found];
        return true;
    }
}
