using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Sketches;

public sealed partial class Reservoir<T>
{
    // Snapshot body (inside SketchFrame; offsets from the start of the snapshot, little-endian):
    //
    //  offset  size        field
    //  ------  ----------  ---------------------------------------------------------
    //      12  4           itemSize   sizeof(T); a restore into another T is refused
    //      16  4           capacity   k
    //      20  4           held       min(seen, k)
    //      24  4           flags      bit 0: Algorithm L state valid
    //      28  8           seen       N (int64)
    //      36  8           next       Algorithm L: index of the next item to accept (int64)
    //      44  8           w          Algorithm L: threshold W (IEEE double)
    //      52  32          random     xoshiro256** state, 4 x uint64
    //      84  held*size   items      raw bytes of the held items (MemoryMarshal.AsBytes)
    //   len-4  4           crc32c     (frame trailer)
    private const ushort SnapshotVersion = 1;
    private const int BodyFixed = 72;
    private const string FormatName = "reservoir snapshot";
    private static readonly uint s_magic = SketchFrame.Magic('K', 'R', 'S', 'V');

    /// <summary>The bytes <see cref="WriteSnapshot"/> needs for the current state.</summary>
    public int SnapshotSize => SketchFrame.Overhead + BodyFixed + Count * Unsafe.SizeOf<T>();

    /// <summary>
    /// Writes the whole state (sample, counters, random state) into <paramref name="destination"/>
    /// and returns the bytes written. Restoring it and continuing gives exactly the choices this
    /// instance would have made.
    /// </summary>
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
        BinaryPrimitives.WriteInt32LittleEndian(body[8..], Count);
        BinaryPrimitives.WriteInt32LittleEndian(body[12..], _lValid ? 1 : 0);
        BinaryPrimitives.WriteInt64LittleEndian(body[16..], _seen);
        BinaryPrimitives.WriteInt64LittleEndian(body[24..], _next);
        BinaryPrimitives.WriteDoubleLittleEndian(body[32..], _w);
        _random.GetState(out var s0, out var s1, out var s2, out var s3);
        BinaryPrimitives.WriteUInt64LittleEndian(body[40..], s0);
        BinaryPrimitives.WriteUInt64LittleEndian(body[48..], s1);
        BinaryPrimitives.WriteUInt64LittleEndian(body[56..], s2);
        BinaryPrimitives.WriteUInt64LittleEndian(body[64..], s3);
        // Raw item bytes: T is unmanaged, and snapshots are read back on the same architecture.
        MemoryMarshal.AsBytes(Items).CopyTo(body[BodyFixed..]);
        SketchFrame.WriteTrailer(destination, length);
        return length;
    }

    /// <summary>
    /// Replaces this reservoir's state with a snapshot written by <see cref="WriteSnapshot"/> from
    /// a reservoir of the same item type and capacity. Allocation-free.
    /// </summary>
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
        var held = BinaryPrimitives.ReadInt32LittleEndian(body[8..]);
        var flags = BinaryPrimitives.ReadInt32LittleEndian(body[12..]);
        var seen = BinaryPrimitives.ReadInt64LittleEndian(body[16..]);
        if (seen < 0 || held != Math.Min(seen, capacity))
            SketchThrowHelper.InvalidData(FormatName, "held", 20, $"{held} items held is inconsistent with {seen} seen and capacity {capacity}");
        if (body.Length != BodyFixed + held * itemSize)
            SketchThrowHelper.InvalidData(FormatName, "items", 12 + BodyFixed, $"{body.Length - BodyFixed} item bytes, expected {held} x {itemSize}");
        var random = default(SketchRandom);
        if (!random.TrySetState(
                BinaryPrimitives.ReadUInt64LittleEndian(body[40..]), BinaryPrimitives.ReadUInt64LittleEndian(body[48..]),
                BinaryPrimitives.ReadUInt64LittleEndian(body[56..]), BinaryPrimitives.ReadUInt64LittleEndian(body[64..])))
            SketchThrowHelper.InvalidData(FormatName, "random", 52, "the all-zero generator state is invalid");

        _seen = seen;
        _lValid = (flags & 1) != 0;
        _next = BinaryPrimitives.ReadInt64LittleEndian(body[24..]);
        _w = BinaryPrimitives.ReadDoubleLittleEndian(body[32..]);
        _random = random;
        body.Slice(BodyFixed, held * itemSize).CopyTo(MemoryMarshal.AsBytes(_items.AsSpan(0, held)));
    }

    /// <summary>Creates a reservoir from a snapshot (capacity and state from the bytes).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a reservoir snapshot.</exception>
    public static Reservoir<T> FromSnapshot(ReadOnlySpan<byte> source)
    {
        var body = SketchFrame.Open(source, s_magic, SnapshotVersion, FormatName);
        if (body.Length < BodyFixed)
            SketchThrowHelper.InvalidData(FormatName, "body", SketchFrame.HeaderSize, $"{body.Length} bytes is shorter than the {BodyFixed}-byte fixed part");
        var capacity = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        if (capacity <= 0)
            SketchThrowHelper.InvalidData(FormatName, "capacity", 16, $"capacity {capacity} is not positive");
        var reservoir = new Reservoir<T>(capacity, 0);
        reservoir.RestoreSnapshot(source);
        return reservoir;
    }
}
