using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Storage.Common;

namespace Kernel.Storage.Log;

/// <summary>
/// CRC-32C over a frame's payload, the same value as <see cref="Crc32C.Append"/>, computed three
/// streams at a time so that long payloads are not bound by the latency of the <c>crc32</c>
/// instruction (3 cycles, but one can start every cycle). Justified by the quick suite's
/// <c>log/append-512</c> against <c>memcpy</c> and <c>log/checksum-512</c>.
/// </summary>
/// <remarks>
/// The raw CRC register update is linear over GF(2): <c>raw(s, A‖B) = shift(raw(s, A), |B|) ⊕ raw(0, B)</c>,
/// where <c>shift(c, n)</c> is the register after <c>n</c> zero bytes. For a block of 3×<see cref="Lane"/>
/// bytes the three lanes are checksummed independently (the first from the running state, the
/// others from 0) and combined with two shifts, each a 32×32 bit matrix applied with four
/// 256-entry tables. Shorter tails go through <see cref="Crc32C.Append"/>.
/// </remarks>
internal static class InterleavedCrc32C
{
    /// <summary>Bytes per lane; a block is three lanes.</summary>
    private const int Lane = 128;

    private static readonly uint[] s_shiftLane = BuildShiftTable(Lane);       // shift(c, Lane), 4 × 256 entries
    private static readonly uint[] s_shiftTwoLanes = BuildShiftTable(2 * Lane); // shift(c, 2 Lane)

    /// <summary>Continues a raw (not finalized) CRC-32C state over <paramref name="data"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Append(uint state, ReadOnlySpan<byte> data) =>
        data.Length < 3 * Lane ? Crc32C.Append(state, data) : AppendBlocks(state, data);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint AppendBlocks(uint state, ReadOnlySpan<byte> data)
    {
        ref var p = ref MemoryMarshal.GetReference(data);
        var blocks = data.Length / (3 * Lane);
        var shift1 = s_shiftLane;
        var shift2 = s_shiftTwoLanes;
        for (var b = 0; b < blocks; b++)
        {
            ref var block = ref Unsafe.Add(ref p, b * 3 * Lane);
            uint a = state, c1 = 0, c2 = 0;
            for (var i = 0; i < Lane; i += 8)
            {
                a = BitOperations.Crc32C(a, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref block, i)));
                c1 = BitOperations.Crc32C(c1, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref block, Lane + i)));
                c2 = BitOperations.Crc32C(c2, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref block, 2 * Lane + i)));
            }
            state = Shift(shift2, a) ^ Shift(shift1, c1) ^ c2;
        }
        return Crc32C.Append(state, data[(blocks * 3 * Lane)..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint[] table, uint c)
    {
        ref var t = ref MemoryMarshal.GetArrayDataReference(table);
        return Unsafe.Add(ref t, (int)(c & 0xFF))
             ^ Unsafe.Add(ref t, 256 + (int)((c >> 8) & 0xFF))
             ^ Unsafe.Add(ref t, 512 + (int)((c >> 16) & 0xFF))
             ^ Unsafe.Add(ref t, 768 + (int)(c >> 24));
    }

    /// <summary>Tables of shift(c, <paramref name="bytes"/>) for each byte of c (the map is linear, so the four parts XOR together).</summary>
    private static uint[] BuildShiftTable(int bytes)
    {
        var table = new uint[4 * 256];
        for (var k = 0; k < 4; k++)
        {
            for (var v = 0; v < 256; v++)
            {
                var c = (uint)v << (8 * k);
                for (var i = 0; i < bytes; i += 8) c = BitOperations.Crc32C(c, 0UL);
                table[k * 256 + v] = c;
            }
        }
        return table;
    }
}
