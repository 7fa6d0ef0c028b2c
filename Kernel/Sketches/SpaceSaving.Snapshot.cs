using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Sketches;

public sealed partial class SpaceSaving<TKey>
{
    // Snapshot body (inside SketchFrame; offsets from the start, little-endian):
    //
    //  offset  size             field
    //  ------  ---------------  ----------------------------------------------
    //      12  4                keySize   sizeof(TKey)
    //      16  4                capacity  k
    //      20  4                size      counters in use
    //      24  4                reserved  0
    //      28  8                total     N (int64)
    //      36  size·(keySize+16) counters, in heap order: key bytes, count i64, error i64
    //   len-4  4                crc32c    (frame trailer)
    private const ushort SnapshotVersion = 1;
    private const int BodyFixed = 24;
    private const string FormatName = "SpaceSaving snapshot";
    private static readonly uint s_magic = SketchFrame.Magic('K', 'S', 'S', 'V');

    private static int EntrySize => Unsafe.SizeOf<TKey>() + 2 * sizeof(long);

    /// <summary>The bytes <see cref="WriteSnapshot"/> needs.</summary>
    public int SnapshotSize => SketchFrame.Overhead + BodyFixed + _size * EntrySize;

    /// <summary>Writes the summary into <paramref name="destination"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="SnapshotSize"/>.</exception>
    public int WriteSnapshot(Span<byte> destination)
    {
        var length = SnapshotSize;
        if (destination.Length < length)
            SketchThrowHelper.DestinationTooSmall(nameof(destination), length, destination.Length);
        SketchFrame.WriteHeader(destination, s_magic, SnapshotVersion, length);
        var body = destination[SketchFrame.HeaderSize..];
        var keySize = Unsafe.SizeOf<TKey>();
        BinaryPrimitives.WriteInt32LittleEndian(body, keySize);
        BinaryPrimitives.WriteInt32LittleEndian(body[4..], Capacity);
        BinaryPrimitives.WriteInt32LittleEndian(body[8..], _size);
        BinaryPrimitives.WriteInt32LittleEndian(body[12..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(body[16..], _total);
        var at = BodyFixed;
        for (var i = 0; i < _size; i++)
        {
            MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in _keys[i])).CopyTo(body[at..]);
            BinaryPrimitives.WriteInt64LittleEndian(body[(at + keySize)..], _counts[i]);
            BinaryPrimitives.WriteInt64LittleEndian(body[(at + keySize + 8)..], _errors[i]);
            at += EntrySize;
        }
        SketchFrame.WriteTrailer(destination, length);
        return length;
    }

    /// <summary>Replaces this summary's state with a snapshot of a summary with the same key type and capacity.</summary>
    /// <remarks>
    /// The snapshot is read into a new summary first (the one allocation) and copied here only once every counter
    /// passed its checks: bytes it rejects leave this summary as it was.
    /// </remarks>
    /// <exception cref="InvalidDataException">The bytes are not such a snapshot (the message names the field and offset).</exception>
    public void RestoreSnapshot(ReadOnlySpan<byte> source)
    {
        var restored = new SpaceSaving<TKey>(Capacity);
        restored.ReadSnapshot(source);
        restored._keys.CopyTo(_keys, 0);
        restored._counts.CopyTo(_counts, 0);
        restored._errors.CopyTo(_errors, 0);
        restored._slotOf.CopyTo(_slotOf, 0);
        restored._index.CopyTo(_index, 0);
        _size = restored._size;
        _total = restored._total;
    }

    /// <summary>Reads a snapshot into this summary, which must be empty; a rejected one leaves it half read.</summary>
    private void ReadSnapshot(ReadOnlySpan<byte> source)
    {
        var body = SketchFrame.Open(source, s_magic, SnapshotVersion, FormatName);
        if (body.Length < BodyFixed)
            SketchThrowHelper.InvalidData(FormatName, "body", SketchFrame.HeaderSize, $"{body.Length} bytes is shorter than the {BodyFixed}-byte fixed part");
        var keySize = BinaryPrimitives.ReadInt32LittleEndian(body);
        if (keySize != Unsafe.SizeOf<TKey>())
            SketchThrowHelper.InvalidData(FormatName, "keySize", 12, $"keys of {keySize} bytes cannot be read as {typeof(TKey).Name} ({Unsafe.SizeOf<TKey>()} bytes)");
        var capacity = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        if (capacity != Capacity)
            SketchThrowHelper.InvalidData(FormatName, "capacity", 16, $"capacity {capacity} differs from this summary's {Capacity}");
        var size = BinaryPrimitives.ReadInt32LittleEndian(body[8..]);
        if (size < 0 || size > capacity || body.Length != BodyFixed + size * EntrySize)
            SketchThrowHelper.InvalidData(FormatName, "size", 20, $"{size} counters do not fit capacity {capacity} and {body.Length} body bytes");
        Clear();
        _total = BinaryPrimitives.ReadInt64LittleEndian(body[16..]);
        var at = BodyFixed;
        for (var i = 0; i < size; i++)
        {
            _keys[i] = MemoryMarshal.Read<TKey>(body[at..]);
            _counts[i] = BinaryPrimitives.ReadInt64LittleEndian(body[(at + keySize)..]);
            _errors[i] = BinaryPrimitives.ReadInt64LittleEndian(body[(at + keySize + 8)..]);
            if (Find(in _keys[i]) >= 0)
                SketchThrowHelper.InvalidData(FormatName, "counters", 12 + at, $"counter {i} repeats a key");
            if (i > 0 && _counts[(i - 1) / Arity] > _counts[i])
                SketchThrowHelper.InvalidData(FormatName, "counters", 12 + at, $"counter {i} breaks the heap order");
            IndexInsert(i);
            _size = i + 1;
            at += EntrySize;
        }
    }
}
