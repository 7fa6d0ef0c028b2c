using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// The fixed 48 bytes at the end of a table file. The version, CRC and magic sit at the same
/// place in every version, so a reader can tell a table of another version from a damaged one.
/// <code>
/// version 2 (written by this build): the index is partitioned, the filter cut into partitions
///  0        8          12        20          24          28    29      32            36      40           48
///  +--------+----------+---------+-----------+-----------+-----+-------+-------------+-------+------------+
///  | top    | top      | filter  | filter    | data      | k   | zero  | format      | CRC   | magic      |
///  | index  | index    | offset  | lines u32 | blocks    | u8  | x3    | version u32 | -32C  | "KLSM_ST\0"|
///  | offset | size u32 | u64     | (64 B)    | u32       |     |       | (= 2)       | [0,36)| u64        |
///  +--------+----------+---------+-----------+-----------+-----+-------+-------------+-------+------------+
/// version 1 (read only): one index block, one filter block (k in its last byte)
///  | index offset u64 | index size u32 | filter offset u64 | filter size u32 | entry count u64 | 1 | CRC | magic |
/// </code>
/// </summary>
internal readonly record struct TableFooter(uint Version, long IndexOffset, int IndexSize, long FilterOffset, int FilterSize,
    int FilterLines, int FilterProbes, int BlockCount)
{
    public const int Bytes = 48;
    public const uint FormatVersion = 2;
    public const uint FirstFormatVersion = 1;
    public const ulong Magic = 0x0054535F4D534C4BUL; // "KLSM_ST\0" little-endian

    /// <summary>Data blocks per index partition (format version 2): block <c>b</c> is entry <c>b % 128</c> of partition <c>b / 128</c>.</summary>
    public const int BlocksPerPartition = 1 << PartitionShift;
    public const int PartitionShift = 7;

    /// <summary>Filter lines (64 bytes each) per filter partition (format version 2): 4 KiB, each followed by its CRC.</summary>
    public const int LinesPerFilterPartition = 1 << FilterPartitionShift;
    public const int FilterPartitionShift = 6;
    public const int FilterPartitionBytes = LinesPerFilterPartition * 64;

    /// <summary>A version-2 footer.</summary>
    public static TableFooter Create(long topIndexOffset, int topIndexSize, long filterOffset, int filterLines, int filterProbes, int blockCount) =>
        new(FormatVersion, topIndexOffset, topIndexSize, filterOffset, FilterRegionBytes(filterLines), filterLines, filterProbes, blockCount);

    /// <summary>Version 2: bytes of the filter partitions with their CRCs.</summary>
    public static int FilterRegionBytes(int lines) => lines * 64 + 4 * FilterPartitions(lines);

    public static int FilterPartitions(int lines) => (lines + LinesPerFilterPartition - 1) >> FilterPartitionShift;

    public static int IndexPartitions(int blocks) => (blocks + BlocksPerPartition - 1) >> PartitionShift;

    /// <summary>Writes a version-2 footer.</summary>
    public void Write(Span<byte> d)
    {
        d[..Bytes].Clear();
        BinaryPrimitives.WriteInt64LittleEndian(d, IndexOffset);
        BinaryPrimitives.WriteInt32LittleEndian(d[8..], IndexSize);
        BinaryPrimitives.WriteInt64LittleEndian(d[12..], FilterOffset);
        BinaryPrimitives.WriteInt32LittleEndian(d[20..], FilterLines);
        BinaryPrimitives.WriteInt32LittleEndian(d[24..], BlockCount);
        d[28] = (byte)FilterProbes;
        BinaryPrimitives.WriteUInt32LittleEndian(d[32..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(d[36..], Crc32C.Compute(d[..36]));
        BinaryPrimitives.WriteUInt64LittleEndian(d[40..], Magic);
    }

    /// <summary>Parses and checks a footer read from <paramref name="path"/> at <paramref name="at"/>.</summary>
    public static TableFooter Read(ReadOnlySpan<byte> s, string path, long at, long fileSize)
    {
        var magic = BinaryPrimitives.ReadUInt64LittleEndian(s[40..]);
        if (magic != Magic) LsmThrow.Corruption(path, at + 40, $"not an LSM table: footer magic 0x{magic:X16}");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(s[32..]);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(s[36..]);
        if (crc != Crc32C.Compute(s[..36])) LsmThrow.Corruption(path, at, "table footer checksum mismatch");
        if (version is not (FormatVersion or FirstFormatVersion))
            LsmThrow.Format($"{path}: table format version {version}, this build reads versions {FirstFormatVersion} and {FormatVersion}");
        var indexOffset = BinaryPrimitives.ReadInt64LittleEndian(s);
        var indexSize = BinaryPrimitives.ReadInt32LittleEndian(s[8..]);
        var filterOffset = BinaryPrimitives.ReadInt64LittleEndian(s[12..]);
        TableFooter f;
        if (version == FirstFormatVersion)
            f = new TableFooter(version, indexOffset, indexSize, filterOffset, BinaryPrimitives.ReadInt32LittleEndian(s[20..]), 0, 0, -1);
        else
        {
            var lines = BinaryPrimitives.ReadInt32LittleEndian(s[20..]);
            var blocks = BinaryPrimitives.ReadInt32LittleEndian(s[24..]);
            if (lines < 0 || lines > (int.MaxValue - 64) / 68 || blocks < 0 || s[28] > 64 || (lines > 0 && s[28] == 0) || s[29] != 0 || s[30] != 0 || s[31] != 0)
                LsmThrow.Corruption(path, at, "table footer has impossible filter or block counts");
            f = new TableFooter(version, indexOffset, indexSize, filterOffset, FilterRegionBytes(lines), lines, s[28], blocks);
        }
        // Version 1 stores a CRC after the filter; version 2's region already counts its partitions' CRCs.
        var filterEnd = f.FilterOffset + f.FilterSize + (version == FirstFormatVersion ? 4 : 0);
        if (f.IndexOffset < 0 || f.IndexSize < 4 || f.IndexOffset + f.IndexSize + 4 > at
            || f.FilterOffset < 0 || f.FilterSize < 0 || filterEnd > f.IndexOffset || at + Bytes != fileSize)
            LsmThrow.Corruption(path, at, "table footer points outside the file");
        return f;
    }
}
