using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Storage.Log;

/// <summary>
/// The 64-byte header at the start of every segment file. All integers are little-endian.
/// <code>
///  0        4        6        8                16               24               32               40       44                 60       64
///  +--------+--------+--------+----------------+----------------+----------------+----------------+--------+------------------+--------+
///  | magic  |version |hdr len | base offset    | payload        | segment length | created        | flags  | reserved (zero)  | CRC-32C|
///  | "KLOG" | u16 =1 | u16=64 | i64            | fingerprint u64| i64 (bytes)    | unix ms i64    | u32    | 16 bytes         | of 0..60|
///  +--------+--------+--------+----------------+----------------+----------------+----------------+--------+------------------+--------+
/// </code>
/// A header of 64 zero bytes marks a segment that was prepared ahead but never started (recovery
/// deletes it when it is the last file). Flags (bytes 40..44, zero in files written before they
/// existed, which readers of that time ignore): <see cref="RecycledFlag"/>.
/// </summary>
internal readonly record struct SegmentHeader(long BaseOffset, ulong PayloadFingerprint, long SegmentLength, long CreatedUnixMs, uint Flags = 0)
{
    /// <summary>
    /// The segment was made from a recycled file: bytes after its last record may be an older
    /// segment's records (which fail their checksum here, see <see cref="SpareSegmentFile"/>), not
    /// a torn write's garbage, so recovery cuts only at the first bad frame.
    /// </summary>
    public const uint RecycledFlag = 1;

    /// <summary>True when <see cref="RecycledFlag"/> is set.</summary>
    public bool Recycled => (Flags & RecycledFlag) != 0;

    /// <summary>"KLOG" read as a little-endian u32.</summary>
    public const uint Magic = 0x474F4C4B;

    /// <summary>The format version this build writes and reads.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>Header length in bytes; records start here.</summary>
    public const int Length = 64;

    private const int CrcPosition = 60;

    /// <summary>Writes the header into <paramref name="destination"/> (64 bytes).</summary>
    public void Write(Span<byte> destination)
    {
        destination = destination[..Length];
        destination.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], BaseOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], PayloadFingerprint);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], SegmentLength);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], CreatedUnixMs);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[40..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[CrcPosition..], Crc32C.Compute(destination[..CrcPosition]));
    }

    /// <summary>True when all 64 bytes are zero (a prepared segment that was never started).</summary>
    public static bool IsBlank(ReadOnlySpan<byte> source) => !source[..Length].ContainsAnyExcept((byte)0);

    /// <summary>Parses and checks a header; throws a <see cref="LogFormatException"/> or <see cref="LogCorruptionException"/> naming <paramref name="path"/>.</summary>
    public static SegmentHeader Read(ReadOnlySpan<byte> source, string path)
    {
        if (source.Length < Length)
            throw new LogCorruptionException(path, 0, $"segment header: the file has {source.Length} bytes, a header needs {Length}");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (magic != Magic)
            throw new LogFormatException(path, $"not a Kernel log segment: magic 0x{magic:X8} at byte 0, expected 0x{Magic:X8} (\"KLOG\")");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        if (version != FormatVersion)
            throw new LogFormatException(path, $"segment format version {version} at byte 4; this build reads version {FormatVersion} only");
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(source[CrcPosition..]);
        var actual = Crc32C.Compute(source[..CrcPosition]);
        if (stored != actual)
            throw new LogCorruptionException(path, CrcPosition, $"segment header checksum 0x{stored:X8} at byte {CrcPosition} does not match its contents (0x{actual:X8})");
        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(source[6..]);
        if (headerLength != Length)
            throw new LogCorruptionException(path, 6, $"segment header length {headerLength} at byte 6, expected {Length}");
        return new SegmentHeader(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[40..]));
    }
}
