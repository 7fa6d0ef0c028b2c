namespace Kernel.Storage.Log;

/// <summary>
/// Walks the frames of one segment from its header, checking each, and fills the segment's sparse
/// index on the way. Used by recovery (the tail segment) and by the first access to a sealed
/// segment found on disk.
/// </summary>
internal static class SegmentScanner
{
    /// <summary>What a scan found.</summary>
    public readonly record struct Result(long ValidLength, long Records, long MaxTimestamp, bool Torn);

    /// <summary>Scans <paramref name="segment"/> up to byte <paramref name="limit"/>.</summary>
    public static Result Scan(Segment segment, long limit)
    {
        var region = segment.Region;
        var index = segment.Index;
        long position = SegmentHeader.Length;
        var offset = segment.BaseOffset;
        var maxTs = long.MinValue;
        while (true)
        {
            var aligned = RecordFrame.Validate(region, position, limit, offset, out var ts);
            if (aligned <= 0)
                return new Result(position, offset - segment.BaseOffset, maxTs, aligned < 0);
            if (position >= index.NextPosition) index.Add(offset, position, maxTs);
            if (ts > maxTs) maxTs = ts;
            position += aligned;
            offset++;
        }
    }

    /// <summary>
    /// The bytes of the first (bad) frame at <paramref name="validLength"/> as its length field
    /// claims them, bounded by the segment's end; the frame header's bytes when the field is unusable.
    /// </summary>
    public static long FirstFrameExtent(MappedRegion region, long validLength)
    {
        var rest = region.Length - validLength;
        if (rest < RecordFrame.HeaderLength) return rest;
        var length = RecordFrame.ReadLength(ref region.At(validLength));
        if (length < RecordFrame.HeaderLength) return RecordFrame.HeaderLength;
        return Math.Min(RecordFrame.AlignedLength(length - RecordFrame.HeaderLength), rest);
    }

    /// <summary>
    /// Measures what lies after the valid data of a torn tail: the bytes up to the last non-zero
    /// byte, and how many frames can be told apart in them by their length fields (at least one).
    /// </summary>
    public static (long Bytes, long Records) MeasureGarbage(MappedRegion region, long validLength)
    {
        var end = validLength;
        // Scan in 1 MiB chunks from the back for the last non-zero byte.
        var chunk = 1L << 20;
        for (var hi = region.Length; hi > validLength; hi -= chunk)
        {
            var lo = Math.Max(validLength, hi - chunk);
            var i = region.Span(lo, (int)(hi - lo)).LastIndexOfAnyExcept((byte)0);
            if (i >= 0) { end = lo + i + 1; break; }
        }
        if (end == validLength) return (0, 0);
        long records = 0;
        for (var p = validLength; p < end; records++)
        {
            if (p + RecordFrame.HeaderLength > region.Length) { records++; break; }
            var length = RecordFrame.ReadLength(ref region.At(p));
            if (length < RecordFrame.HeaderLength) { records++; break; }
            p += RecordFrame.AlignedLength(length - RecordFrame.HeaderLength);
        }
        return (end - validLength, records);
    }
}
