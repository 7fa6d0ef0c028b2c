using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Sketches;

/// <summary>
/// The frame every sketch snapshot shares: a header naming the format, a body the sketch
/// writes, and a CRC-32C trailer over everything before it. Little-endian throughout.
/// </summary>
/// <remarks>
/// <code>
///  offset  size  field
///  ------  ----  ------------------------------------------------------------
///       0     4  magic      (per sketch, ASCII: "KRSV", "KWRS", "KHLL", ...)
///       4     2  version    (per sketch; readers reject versions they do not know)
///       6     2  reserved   (0)
///       8     4  length     total bytes, header and trailer included
///      12     …  body       (the sketch's own layout, drawn in its Snapshot file)
///  len-4      4  crc32c     over bytes [0, len-4)
/// </code>
/// </remarks>
internal static class SketchFrame
{
    public const int HeaderSize = 12;
    public const int TrailerSize = 4;
    public const int Overhead = HeaderSize + TrailerSize;

    /// <summary>Writes the header for a snapshot of <paramref name="length"/> bytes; the body starts at <see cref="HeaderSize"/>.</summary>
    public static void WriteHeader(Span<byte> destination, uint magic, ushort version, int length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, magic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], length);
    }

    /// <summary>Writes the checksum trailer of a snapshot of <paramref name="length"/> bytes.</summary>
    public static void WriteTrailer(Span<byte> destination, int length) =>
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(length - TrailerSize)..], Crc32C.Compute(destination[..(length - TrailerSize)]));

    /// <summary>
    /// Checks magic, version, length and checksum, and returns the body. Every failure names the
    /// format, the field and its offset.
    /// </summary>
    public static ReadOnlySpan<byte> Open(ReadOnlySpan<byte> source, uint magic, ushort version, string format)
    {
        if (source.Length < Overhead)
            SketchThrowHelper.InvalidData(format, "length", 0, $"{source.Length} bytes is shorter than the {Overhead}-byte frame");
        var actualMagic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (actualMagic != magic)
            SketchThrowHelper.InvalidData(format, "magic", 0, $"0x{actualMagic:X8} is not 0x{magic:X8}");
        var actualVersion = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        if (actualVersion != version)
            SketchThrowHelper.InvalidData(format, "version", 4, $"version {actualVersion} is not supported (this reader knows {version})");
        var length = BinaryPrimitives.ReadInt32LittleEndian(source[8..]);
        if (length < Overhead || length > source.Length)
            SketchThrowHelper.InvalidData(format, "length", 8, $"{length} is outside [{Overhead}, {source.Length}] (the bytes given)");
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(source[(length - TrailerSize)..]);
        var computed = Crc32C.Compute(source[..(length - TrailerSize)]);
        if (stored != computed)
            SketchThrowHelper.InvalidData(format, "crc32c", length - TrailerSize, $"stored 0x{stored:X8} but the bytes hash to 0x{computed:X8}");
        return source[HeaderSize..(length - TrailerSize)];
    }

    /// <summary>The ASCII magic as a little-endian number ("KRSV" reads as those four bytes on disk).</summary>
    public static uint Magic(char a, char b, char c, char d) => a | ((uint)b << 8) | ((uint)c << 16) | ((uint)d << 24);
}
