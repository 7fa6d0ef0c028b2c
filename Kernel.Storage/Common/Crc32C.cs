using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Storage.Common;

/// <summary>
/// CRC-32C (Castagnoli) over bytes, through <see cref="BitOperations.Crc32C(uint, ulong)"/>,
/// which uses the hardware <c>crc32</c> instruction where the CPU has one. Every on-disk format
/// in Kernel.Storage frames its records and blocks with it.
/// </summary>
public static class Crc32C
{
    /// <summary>The checksum of <paramref name="data"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>
    /// Continues a raw (not finalized) CRC state over more bytes. Start from
    /// <see cref="uint.MaxValue"/> and complement the result to finish, as <see cref="Compute"/> does.
    /// </summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        ref var p = ref MemoryMarshal.GetReference(data);
        var length = data.Length;
        var i = 0;
        for (; i + 8 <= length; i += 8)
            state = BitOperations.Crc32C(state, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
        for (; i < length; i++)
            state = BitOperations.Crc32C(state, Unsafe.Add(ref p, i));
        return state;
    }
}
