using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Sketches;

public sealed partial class WeightedReservoir<T>
{
    // Snapshot body (inside SketchFrame; offsets from the start of the snapshot, little-endian):
    //
    //  offset  size        field
    //  ------  ----------  ---------------------------------------------------------
    //      12  4           itemSize     sizeof(T)
    //      16  4           capacity     k
    //      20  4           count        items held
    //      24  4           reserved     0
    //      28  8           seen         items offered (int64)
    //      36  8           totalWeight  (double)
    //      44  8           skip         weight still to skip (double)
    //      52  32          random       xoshiro256** state, 4 x uint64
    //      84  count*8     logKeys      heap order (double)
    //       …  count*size  items        raw bytes, same order
    //   len-4  4           crc32c       (frame trailer)
    private const ushort SnapshotVersion = 1;
    private const int BodyFixed = 72;
    private const string FormatName = "weighted reservoir snapshot";
    private static readonly uint s_magic = SketchFrame.Magic('K', 'W', 'R', 'S');

    /// <summary>The bytes <see cref="WriteSnapshot"/> needs for the current state.</summary>
    public int SnapshotSize => SketchFrame.Overhead + BodyFixed + _count * (sizeof(double) + Unsafe.SizeOf<T>());

    /// <summary>Writes the whole state into <paramref name="destination"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="SnapshotSize"/>.</exception>
    public int WriteSnapshot(Span<byte> destination)
    {
        var length = SnapshotSize;
        if (destination.Length < length)
            SketchThrowHelper.DestinationTooSmall(nameof(destination), length, destination.Length);
        SketchFrame.WriteHeader(destination, s_magic, SnapshotVersion, length);
        var body = destination[SketchFrame.HeaderSize..];
        BinaryPrimitives.WriteInt32LittleEndian(body, Unsafe.SizeOf<T>());
        BinaryPrimitives.WriteInt32LittleEndian(body[4..], Capacity);
        BinaryPrimitives.WriteInt32LittleEndian(body[8..], _count);
        BinaryPrimitives.WriteInt32LittleEndian(body[12..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(body[16..], _seen);
        BinaryPrimitives.WriteDoubleLittleEndian(body[24..], _totalWeight);
        BinaryPrimitives.WriteDoubleLittleEndian(body[32..], _skip);
        _random.GetState(out var s0, out var s1, out var s2, out var s3);
        BinaryPrimitives.WriteUInt64LittleEndian(body[40..], s0);
        BinaryPrimitives.WriteUInt64LittleEndian(body[48..], s1);
        BinaryPrimitives.WriteUInt64LittleEndian(body[56..], s2);
        BinaryPrimitives.WriteUInt64LittleEndian(body[64..], s3);
        var keys = body[BodyFixed..];
        for (var i = 0; i < _count; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(keys[(i * sizeof(double))..], _logKeys[i]);
        MemoryMarshal.AsBytes(Items).CopyTo(keys[(_count * sizeof(double))..]);
        SketchFrame.WriteTrailer(destination, length);
        return length;
    }

    /// <summary>Replaces this sample's state with a snapshot from a sample of the same item type and capacity.</summary>
    /// <exception cref="InvalidDataException">The bytes are not such a snapshot (the message names the field and offset).</exception>
    public void RestoreSnapshot(ReadOnlySpan<byte> source)
    {
        var body = SketchFrame.Open(source, s_magic, SnapshotVersion, FormatName);
        if (body.Length < BodyFixed)
            SketchThrowHelper.InvalidData(FormatName, "body", SketchFrame.HeaderSize, $"{body.Length} bytes is shorter than the {BodyFixed}-byte fixed part");
        var itemSize = BinaryPrimitives.ReadInt32LittleEndian(body);
        if (itemSize != Unsafe.SizeOf<T>())
            SketchThrowHelper.InvalidData(FormatName, "itemSize", 12, $"items of {itemSize} bytes cannot be read as {typeof(T).Name} ({Unsafe.SizeOf<T>()} bytes)");
        var capacity = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        if (capacity != Capacity)
            SketchThrowHelper.InvalidData(FormatName, "capacity", 16, $"capacity {capacity} differs from this reservoir's {Capacity}");
        var count = BinaryPrimitives.ReadInt32LittleEndian(body[8..]);
        if (count < 0 || count > capacity || body.Length != BodyFixed + count * (sizeof(double) + itemSize))
            SketchThrowHelper.InvalidData(FormatName, "count", 20, $"{count} items do not fit capacity {capacity} and {body.Length} body bytes");
        var random = default(SketchRandom);
        if (!random.TrySetState(
                BinaryPrimitives.ReadUInt64LittleEndian(body[40..]), BinaryPrimitives.ReadUInt64LittleEndian(body[48..]),
                BinaryPrimitives.ReadUInt64LittleEndian(body[56..]), BinaryPrimitives.ReadUInt64LittleEndian(body[64..])))
            SketchThrowHelper.InvalidData(FormatName, "random", 52, "the all-zero generator state is invalid");
        _count = count;
        _seen = BinaryPrimitives.ReadInt64LittleEndian(body[16..]);
        _totalWeight = BinaryPrimitives.ReadDoubleLittleEndian(body[24..]);
        _skip = BinaryPrimitives.ReadDoubleLittleEndian(body[32..]);
        _random = random;
        var keys = body[BodyFixed..];
        for (var i = 0; i < count; i++)
            _logKeys[i] = BinaryPrimitives.ReadDoubleLittleEndian(keys[(i * sizeof(double))..]);
        keys.Slice(count * sizeof(double), count * itemSize).CopyTo(MemoryMarshal.AsBytes(_items.AsSpan(0, count)));
    }
}
