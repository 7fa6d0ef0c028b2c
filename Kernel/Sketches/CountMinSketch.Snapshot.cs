using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Kernel.Sketches;

public sealed partial class CountMinSketch
{
    // Snapshot body (inside SketchFrame; offsets from the start, little-endian):
    //
    //  offset  size          field
    //  ------  ------------  -------------------------------------------------
    //      12  4             width
    //      16  4             depth
    //      20  8             seed      (the row hashes derive from it)
    //      28  8             total     N (int64)
    //      36  8·width·depth counters  row by row (int64)
    //   len-4  4             crc32c    (frame trailer)
    private const ushort SnapshotVersion = 1;
    private const int BodyFixed = 24;
    private const string FormatName = "Count-Min snapshot";
    private static readonly uint s_magic = SketchFrame.Magic('K', 'C', 'M', 'S');

    /// <summary>The bytes <see cref="WriteSnapshot"/> needs.</summary>
    public int SnapshotSize => SketchFrame.Overhead + BodyFixed + _counters.Length * sizeof(long);

    /// <summary>Writes the sketch into <paramref name="destination"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="SnapshotSize"/>.</exception>
    public int WriteSnapshot(Span<byte> destination)
    {
        var length = SnapshotSize;
        if (destination.Length < length)
            SketchThrowHelper.DestinationTooSmall(nameof(destination), length, destination.Length);
        SketchFrame.WriteHeader(destination, s_magic, SnapshotVersion, length);
        var body = destination[SketchFrame.HeaderSize..];
        BinaryPrimitives.WriteInt32LittleEndian(body, _width);
        BinaryPrimitives.WriteInt32LittleEndian(body[4..], _depth);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], _seed);
        BinaryPrimitives.WriteInt64LittleEndian(body[16..], _total);
        var counters = body[BodyFixed..];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(_counters.AsSpan()).CopyTo(counters);
        }
        else
        {
            for (var i = 0; i < _counters.Length; i++)
                BinaryPrimitives.WriteInt64LittleEndian(counters[(i * sizeof(long))..], _counters[i]);
        }
        SketchFrame.WriteTrailer(destination, length);
        return length;
    }

    /// <summary>Replaces this sketch's counts with a snapshot of a sketch of the same dimensions and seed. Allocation-free.</summary>
    /// <exception cref="InvalidDataException">The bytes are not such a snapshot (the message names the field and offset).</exception>
    public void RestoreSnapshot(ReadOnlySpan<byte> source)
    {
        var body = SketchFrame.Open(source, s_magic, SnapshotVersion, FormatName);
        if (body.Length < BodyFixed)
            SketchThrowHelper.InvalidData(FormatName, "body", SketchFrame.HeaderSize, $"{body.Length} bytes is shorter than the {BodyFixed}-byte fixed part");
        var width = BinaryPrimitives.ReadInt32LittleEndian(body);
        var depth = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        var seed = BinaryPrimitives.ReadUInt64LittleEndian(body[8..]);
        if (width != _width || depth != _depth)
            SketchThrowHelper.InvalidData(FormatName, "width", 12, $"a {depth}x{width} snapshot does not fit this {_depth}x{_width} sketch");
        if (seed != _seed)
            SketchThrowHelper.InvalidData(FormatName, "seed", 20, $"seed {seed} differs from this sketch's {_seed}: its rows hash differently");
        if (body.Length != BodyFixed + _counters.Length * sizeof(long))
            SketchThrowHelper.InvalidData(FormatName, "counters", 36, $"{body.Length - BodyFixed} counter bytes, expected {_counters.Length * sizeof(long)}");
        var counters = body[BodyFixed..];
        for (var i = 0; i < _counters.Length; i++)
            _counters[i] = BinaryPrimitives.ReadInt64LittleEndian(counters[(i * sizeof(long))..]);
        _total = BinaryPrimitives.ReadInt64LittleEndian(body[16..]);
    }

    /// <summary>Creates a sketch from a snapshot (dimensions and seed from the bytes).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a Count-Min snapshot.</exception>
    public static CountMinSketch FromSnapshot(ReadOnlySpan<byte> source)
    {
        var body = SketchFrame.Open(source, s_magic, SnapshotVersion, FormatName);
        if (body.Length < BodyFixed)
            SketchThrowHelper.InvalidData(FormatName, "body", SketchFrame.HeaderSize, $"{body.Length} bytes is shorter than the {BodyFixed}-byte fixed part");
        var width = BinaryPrimitives.ReadInt32LittleEndian(body);
        var depth = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        if (width <= 0 || depth <= 0 || (long)width * depth > 1 << 28)
            SketchThrowHelper.InvalidData(FormatName, "width", 12, $"dimensions {depth}x{width} are out of range");
        var sketch = new CountMinSketch(width, depth, BinaryPrimitives.ReadUInt64LittleEndian(body[8..]));
        sketch.RestoreSnapshot(source);
        return sketch;
    }
}
