using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// The fixed 48 bytes at the end of a table file.
/// <code>
///  0        8          12        20          24          32            36      40           48
///  +--------+----------+---------+-----------+-----------+-------------+-------+------------+
///  | index  | index    | filter  | filter    | entry     | format      | CRC   | magic      |
///  | offset | size u32 | offset  | size u32  | count u64 | version u32 | -32C  | "KLSMSST\0"|
///  | u64    |          | u64     |           |           |             | [0,36)| u64        |
///  +--------+----------+---------+-----------+-----------+-------------+-------+------------+
/// </code>
/// </summary>
internal readonly record struct TableFooter(long IndexOffset, int IndexSize, long FilterOffset, int FilterSize, long EntryCount)
{
    public const int Bytes = 48;
    public const uint FormatVersion = 1;
    public const ulong Magic = 0x0054535F4D534C4BUL; // "KLSM_ST\0" little-endian

    public void Write(Span<byte> d)
    {
        BinaryPrimitives.WriteInt64LittleEndian(d, IndexOffset);
        BinaryPrimitives.WriteInt32LittleEndian(d[8..], IndexSize);
        BinaryPrimitives.WriteInt64LittleEndian(d[12..], FilterOffset);
        BinaryPrimitives.WriteInt32LittleEndian(d[20..], FilterSize);
        BinaryPrimitives.WriteInt64LittleEndian(d[24..], EntryCount);
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
        if (version != FormatVersion)
            LsmThrow.Format($"{path}: table format version {version}, this build reads version {FormatVersion}");
        var f = new TableFooter(
            BinaryPrimitives.ReadInt64LittleEndian(s), BinaryPrimitives.ReadInt32LittleEndian(s[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[12..]), BinaryPrimitives.ReadInt32LittleEndian(s[20..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[24..]));
        if (f.IndexOffset < 0 || f.IndexSize < 4 || f.IndexOffset + f.IndexSize + 4 > at
            || f.FilterOffset < 0 || f.FilterSize < 0 || f.FilterOffset + f.FilterSize + 4 > at || at + Bytes != fileSize)
            LsmThrow.Corruption(path, at, "table footer points outside the file");
        return f;
    }
}
