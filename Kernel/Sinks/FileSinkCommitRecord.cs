using System.Buffers.Binary;
using Kernel.Checkpoints;
using Kernel.Storage.Common;

namespace Kernel.Sinks;

/// <summary>
/// The <c>&lt;out&gt;.commit</c> file of a <see cref="TransactionalFileSink{TRow}"/>: how much of the
/// output is committed. Replaced atomically after each commit; the output file beyond
/// <see cref="CommittedLength"/> is a torn append and is cut off on recovery.
/// <code>
///  offset  size  field
///  ------  ----  ------------------------------------------------
///       0     4  magic "KSNK"  (0x4B 0x53 0x4E 0x4B)
///       4     2  format version (1)
///       6     2  reserved, 0
///       8     8  last committed epoch (0: none yet; the header only)
///      16     8  committed length of the output file, in bytes
///      24     4  CRC-32C of bytes [0, 24)
///  file length = 28 exactly
/// </code>
/// </summary>
internal readonly record struct FileSinkCommitRecord(long LastEpoch, long CommittedLength)
{
    public const uint Magic = 0x4B4E534B;
    public const ushort Version = 1;
    public const int Size = 28;

    public byte[] Serialize()
    {
        var image = new byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(image, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(4), Version);
        BinaryPrimitives.WriteInt64LittleEndian(image.AsSpan(8), LastEpoch);
        BinaryPrimitives.WriteInt64LittleEndian(image.AsSpan(16), CommittedLength);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(24), Crc32C.Compute(image.AsSpan(0, 24)));
        return image;
    }

    public static FileSinkCommitRecord Parse(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length != Size)
            throw new CheckpointFormatException(path, "length", 0, $"the commit record is {data.Length} bytes; it must be {Size}");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (magic != Magic)
            throw new CheckpointFormatException(path, "magic", 0, $"expected 0x{Magic:X8} (\"KSNK\"), found 0x{magic:X8}");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        if (version != Version)
            throw new CheckpointFormatException(path, "version", 4, $"format version {version} is not supported (this build reads {Version})");
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(data[24..]);
        var actual = Crc32C.Compute(data[..24]);
        if (stored != actual)
            throw new CheckpointFormatException(path, "CRC-32C", 24, $"stored 0x{stored:X8}, computed 0x{actual:X8}: the commit record is corrupt");
        var record = new FileSinkCommitRecord(BinaryPrimitives.ReadInt64LittleEndian(data[8..]), BinaryPrimitives.ReadInt64LittleEndian(data[16..]));
        if (record.LastEpoch < 0 || record.CommittedLength < 0)
            throw new CheckpointFormatException(path, "last committed epoch", 8, "negative epoch or length");
        return record;
    }
}
