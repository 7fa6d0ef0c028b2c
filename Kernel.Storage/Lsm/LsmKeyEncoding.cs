using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Storage.Lsm;

/// <summary>
/// Encodes unmanaged keys so that byte order is value order: integers are written big-endian
/// with the sign bit flipped (so -1 sorts before 0), which makes range deletes and range scans
/// over numeric keys work. Other unmanaged types are written as their raw bytes (their byte
/// order is then the order of their in-memory layout). The type tests fold away at JIT time.
/// </summary>
public static class LsmKeyEncoding
{
    /// <summary>Bytes a key of type <typeparamref name="T"/> takes.</summary>
    public static int Size<T>() where T : unmanaged => Unsafe.SizeOf<T>();

    /// <summary>Writes <paramref name="key"/> into <paramref name="destination"/> and returns the bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write<T>(T key, Span<byte> destination) where T : unmanaged
    {
        if (typeof(T) == typeof(long)) BinaryPrimitives.WriteUInt64BigEndian(destination, (ulong)Unsafe.As<T, long>(ref key) ^ 0x8000_0000_0000_0000UL);
        else if (typeof(T) == typeof(ulong)) BinaryPrimitives.WriteUInt64BigEndian(destination, Unsafe.As<T, ulong>(ref key));
        else if (typeof(T) == typeof(int)) BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Unsafe.As<T, int>(ref key) ^ 0x8000_0000U);
        else if (typeof(T) == typeof(uint)) BinaryPrimitives.WriteUInt32BigEndian(destination, Unsafe.As<T, uint>(ref key));
        else if (typeof(T) == typeof(short)) BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Unsafe.As<T, short>(ref key) ^ short.MinValue));
        else if (typeof(T) == typeof(ushort)) BinaryPrimitives.WriteUInt16BigEndian(destination, Unsafe.As<T, ushort>(ref key));
        else if (typeof(T) == typeof(sbyte)) destination[0] = (byte)(Unsafe.As<T, sbyte>(ref key) ^ sbyte.MinValue);
        else MemoryMarshal.Write(destination, in key);
        return Unsafe.SizeOf<T>();
    }

    /// <summary>Reads a key written by <see cref="Write{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Read<T>(ReadOnlySpan<byte> source) where T : unmanaged
    {
        T key = default;
        if (typeof(T) == typeof(long)) Unsafe.As<T, long>(ref key) = (long)(BinaryPrimitives.ReadUInt64BigEndian(source) ^ 0x8000_0000_0000_0000UL);
        else if (typeof(T) == typeof(ulong)) Unsafe.As<T, ulong>(ref key) = BinaryPrimitives.ReadUInt64BigEndian(source);
        else if (typeof(T) == typeof(int)) Unsafe.As<T, int>(ref key) = (int)(BinaryPrimitives.ReadUInt32BigEndian(source) ^ 0x8000_0000U);
        else if (typeof(T) == typeof(uint)) Unsafe.As<T, uint>(ref key) = BinaryPrimitives.ReadUInt32BigEndian(source);
        else if (typeof(T) == typeof(short)) Unsafe.As<T, short>(ref key) = (short)(BinaryPrimitives.ReadUInt16BigEndian(source) ^ 0x8000);
        else if (typeof(T) == typeof(ushort)) Unsafe.As<T, ushort>(ref key) = BinaryPrimitives.ReadUInt16BigEndian(source);
        else if (typeof(T) == typeof(sbyte)) Unsafe.As<T, sbyte>(ref key) = (sbyte)(source[0] ^ 0x80);
        else key = MemoryMarshal.Read<T>(source);
        return key;
    }
}
