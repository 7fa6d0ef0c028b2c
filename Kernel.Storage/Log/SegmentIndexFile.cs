using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Storage.Log;

/// <summary>
/// The persisted sparse index of a sealed segment: <c>NNNNNNNNNN.idx</c> beside
/// <c>NNNNNNNNNN.seg</c>. It is a cache: a missing, torn, stale or corrupt file is ignored and the
/// segment is scanned instead (and the file rewritten). All integers are little-endian.
/// <code>
///  0      4      6      8            16           24           32           40           48           56      60      64
///  +------+------+------+------------+------------+------------+------------+------------+------------+-------+-------+
///  |magic |ver=1 |hl=64 | base offset| created ms | segment len| valid len  | records    | max time   |entries|CRC-32C|
///  |"KIDX"| u16  | u16  | i64        | i64        | i64        | i64        | i64        | i64        | u32   |of 0..60|
///  +------+------+------+------------+------------+------------+------------+------------+------------+-------+-------+
///  64: entries × 24 bytes (offset i64, byte position i64, largest timestamp before it i64), then CRC-32C of the entries (u32)
/// </code>
/// Base offset, created time and segment length must equal the segment header's; valid length,
/// records and max time describe the sealed segment's data. Loading also re-validates the frames
/// from the last entry to the valid length (at most one index interval and one record), so an
/// index that disagrees with the data is never used.
/// </summary>
internal static class SegmentIndexFile
{
    /// <summary>"KIDX" read as a little-endian u32.</summary>
    public const uint Magic = 0x5844494B;

    /// <summary>The index file format version.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>Bytes before the entries.</summary>
    public const int HeaderLength = 64;

    /// <summary>Bytes per entry.</summary>
    public const int EntryLength = 24;

    /// <summary>The file extension.</summary>
    public const string Extension = ".idx";

    private const int CrcPosition = 60;

    /// <summary>What an index file's header says about its segment.</summary>
    public readonly record struct Summary(long ValidLength, long Records, long MaxTimestamp, int Entries);

    /// <summary>The index file of the segment at <paramref name="segmentPath"/>.</summary>
    public static string PathFor(string segmentPath) => Path.ChangeExtension(segmentPath, Extension);

    /// <summary>
    /// Writes the index of a sealed segment (to a temporary file, then renamed over the old one; not
    /// fsynced: after a power loss a torn file fails its checksums and the segment is scanned).
    /// Entries go through a stack buffer a few KiB at a time, so a roll allocates no array the size
    /// of the index.
    /// </summary>
    public static void Write(Segment segment)
    {
        var index = segment.Index;
        var n = index.Count;
        var header = segment.Header;
        Span<byte> bytes = stackalloc byte[ChunkEntries * EntryLength];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[6..], HeaderLength);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], header.BaseOffset);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[16..], header.CreatedUnixMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[24..], header.SegmentLength);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[32..], segment.PublishedLength);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[40..], segment.RecordCount);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[48..], segment.MaxTimestamp);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[56..], n);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[CrcPosition..], Crc32C.Compute(bytes[..CrcPosition]));
        var path = PathFor(segment.Path);
        var temporary = path + ".tmp";
        var fileLength = HeaderLength + (long)n * EntryLength + 4;
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, fileLength))
        {
            RandomAccess.Write(handle, bytes[..HeaderLength], 0);
            long at = HeaderLength;
            var crc = uint.MaxValue;
            for (var first = 0; first < n; first += ChunkEntries)
            {
                var count = Math.Min(ChunkEntries, n - first);
                var chunk = bytes[..(count * EntryLength)];
                for (var i = 0; i < count; i++)
                {
                    index.Entry(first + i, out var offset, out var position, out var maxBefore);
                    var e = chunk.Slice(i * EntryLength, EntryLength);
                    BinaryPrimitives.WriteInt64LittleEndian(e, offset);
                    BinaryPrimitives.WriteInt64LittleEndian(e[8..], position);
                    BinaryPrimitives.WriteInt64LittleEndian(e[16..], maxBefore);
                }
                crc = Crc32C.Append(crc, chunk);
                RandomAccess.Write(handle, chunk, at);
                at += chunk.Length;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, ~crc);
            RandomAccess.Write(handle, bytes[..4], at);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Entries per write of <see cref="Write"/> (a 4 KiB stack buffer, which also holds the header).</summary>
    private const int ChunkEntries = 170;

    /// <summary>Deletes the index file of <paramref name="segmentPath"/> if there is one.</summary>
    public static void Delete(string segmentPath) => File.Delete(PathFor(segmentPath));

    /// <summary>Reads and checks the header of the index of a segment with <paramref name="header"/>; false when absent or not usable.</summary>
    public static bool TryReadSummary(string segmentPath, SegmentHeader header, out Summary summary)
    {
        summary = default;
        Span<byte> bytes = stackalloc byte[HeaderLength];
        try
        {
            using var handle = File.OpenHandle(PathFor(segmentPath), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (RandomAccess.GetLength(handle) < HeaderLength + 4 || RandomAccess.Read(handle, bytes, 0) != HeaderLength) return false;
            return TryParseHeader(bytes, header, RandomAccess.GetLength(handle), out summary);
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

    private static bool TryParseHeader(ReadOnlySpan<byte> bytes, SegmentHeader header, long fileLength, out Summary summary)
    {
        summary = default;
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) != FormatVersion
            || BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]) != HeaderLength
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes[CrcPosition..]) != Crc32C.Compute(bytes[..CrcPosition])
            || BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]) != header.BaseOffset
            || BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]) != header.CreatedUnixMs
            || BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]) != header.SegmentLength)
            return false;
        var validLength = BinaryPrimitives.ReadInt64LittleEndian(bytes[32..]);
        var records = BinaryPrimitives.ReadInt64LittleEndian(bytes[40..]);
        var maxTimestamp = BinaryPrimitives.ReadInt64LittleEndian(bytes[48..]);
        var entries = BinaryPrimitives.ReadInt32LittleEndian(bytes[56..]);
        if (validLength < SegmentHeader.Length || validLength > header.SegmentLength || records < 0
            || records > (validLength - SegmentHeader.Length) / RecordFrame.HeaderLength
            || entries < 0 || entries > records || fileLength != HeaderLength + (long)entries * EntryLength + 4)
            return false;
        summary = new Summary(validLength, records, maxTimestamp, entries);
        return true;
    }

    /// <summary>
    /// Loads the index of a sealed segment found on disk into its (empty) <see cref="SparseIndex"/>
    /// after checking it against the segment's data; false (and the index left empty) when the file
    /// is absent, torn, corrupt, stale or disagrees with the data.
    /// </summary>
    /// <param name="segment">The segment, mapped and not scanned yet.</param>
    /// <param name="expectedEnd">The next segment's base offset: the segment must hold exactly the offsets up to it.</param>
    /// <param name="summary">What the index describes, when it was loaded.</param>
    public static bool TryLoad(Segment segment, long expectedEnd, out Summary summary)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(PathFor(segment.Path));
        }
        catch (IOException)
        {
            summary = default;
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            summary = default;
            return false;
        }
        summary = default;
        if (bytes.Length < HeaderLength + 4 || !TryParseHeader(bytes.AsSpan(0, HeaderLength), segment.Header, bytes.Length, out summary))
            return false;
        var n = summary.Entries;
        var baseOffset = segment.BaseOffset;
        var entryBytes = bytes.AsSpan(HeaderLength, n * EntryLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(HeaderLength + n * EntryLength)) != Crc32C.Compute(entryBytes)
            || baseOffset + summary.Records != expectedEnd
            || n > segment.Index.Capacity
            || (summary.Records > 0) != (n > 0))
            return false;

        // Entries: the first is the first record; offsets and positions strictly increase inside the data.
        long lastOffset = baseOffset - 1, lastPosition = SegmentHeader.Length - 1, lastMaxBefore = long.MinValue;
        for (var i = 0; i < n; i++)
        {
            var e = entryBytes.Slice(i * EntryLength, EntryLength);
            var offset = BinaryPrimitives.ReadInt64LittleEndian(e);
            var position = BinaryPrimitives.ReadInt64LittleEndian(e[8..]);
            var maxBefore = BinaryPrimitives.ReadInt64LittleEndian(e[16..]);
            if (offset <= lastOffset || position <= lastPosition || offset >= expectedEnd || position >= summary.ValidLength
                || maxBefore < lastMaxBefore || (i == 0 && (offset != baseOffset || position != SegmentHeader.Length || maxBefore != long.MinValue)))
                return false;
            lastOffset = offset;
            lastPosition = position;
            lastMaxBefore = maxBefore;
        }

        // The data from the last entry on must be exactly what the index says: valid frames up to the
        // valid length, the right number of them, the right largest timestamp, then the end of data.
        var region = segment.Region;
        long at = n > 0 ? lastPosition : SegmentHeader.Length;
        var next = n > 0 ? lastOffset : baseOffset;
        var maxTimestamp = lastMaxBefore;
        while (at < summary.ValidLength)
        {
            var aligned = RecordFrame.Validate(region, at, summary.ValidLength, next, out var ts);
            if (aligned <= 0) return false;
            if (ts > maxTimestamp) maxTimestamp = ts;
            at += aligned;
            next++;
        }
        if (at != summary.ValidLength || next != expectedEnd || maxTimestamp != summary.MaxTimestamp
            || RecordFrame.Validate(region, at, region.Length, next, out _) != 0)
            return false;

        for (var i = 0; i < n; i++)
        {
            var e = entryBytes.Slice(i * EntryLength, EntryLength);
            segment.Index.Add(BinaryPrimitives.ReadInt64LittleEndian(e), BinaryPrimitives.ReadInt64LittleEndian(e[8..]), BinaryPrimitives.ReadInt64LittleEndian(e[16..]));
        }
        return true;
    }
}
