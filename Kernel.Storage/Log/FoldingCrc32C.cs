using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kernel.Storage.Log;

/// <summary>
/// CRC-32C over a frame's payload by carry-less multiplication (<c>vpclmulqdq</c> on 512-bit
/// registers), the same value as <see cref="Common.Crc32C.Append"/>, optionally copying the bytes
/// in the same pass. Justified by <c>log/append-512</c> against <c>memcpy</c> and
/// <c>log/checksum-512</c>: the three-lane <c>crc32</c> path (<see cref="InterleavedCrc32C"/>) spent
/// ~115 cycles on a 512-byte payload, a third of the writer's time per record without the
/// <c>pwrite</c> (Kernel.Bench/Notes/log.md, session 10).
/// </summary>
/// <remarks>
/// <para>The raw CRC register is the message, read as a polynomial over GF(2) with the bits of each
/// byte reversed (first bit = highest power), modulo the CRC polynomial P. So a 16-byte block A
/// followed by D bits is congruent to the 16-byte block <c>fold(A) = clmul(A.lo, x^(D+31) mod P) ⊕
/// clmul(A.hi, x^(D-33) mod P)</c> in A's place D bits later (the exponents for this bit order were
/// found by search against the <c>crc32</c> instruction and are pinned by <c>FoldingCrc32CTests</c>).</para>
/// <para>One 512-bit accumulator holds four 16-byte blocks: it starts as the first 64 bytes with the
/// running state XORed into the first four (a state s followed by message M is M with s XORed into
/// its first four bytes, from state 0), each further 64 bytes fold it by 512 bits, and at the end its
/// four blocks fold into one by 384, 256 and 128 bits. That block's CRC from state 0 (two
/// <c>crc32</c> instructions) is the state after the folded bytes; bytes after the last whole 64
/// go through <c>crc32</c> 8 at a time.</para>
/// <para>Where the CPU lacks 512-bit carry-less multiplication, <see cref="IsSupported"/> is false
/// and callers use <see cref="InterleavedCrc32C"/>.</para>
/// </remarks>
internal static class FoldingCrc32C
{
    /// <summary>Bytes per fold step (one 512-bit register).</summary>
    public const int Block = 64;

    /// <summary>True when the CPU has the instructions (a constant to the JIT).</summary>
    public static bool IsSupported => Pclmulqdq.V512.IsSupported && Vector512.IsHardwareAccelerated;

    private static readonly Vector512<ulong> s_fold512 = Broadcast(FoldConstants(512));
    private static readonly Vector128<ulong> s_fold384 = FoldConstants(384);
    private static readonly Vector128<ulong> s_fold256 = FoldConstants(256);
    private static readonly Vector128<ulong> s_fold128 = FoldConstants(128);

    /// <summary>
    /// Continues a raw CRC-32C state over <paramref name="data"/> (any length; the folding covers the
    /// whole 64-byte blocks, <c>crc32</c> the rest). Only when <see cref="IsSupported"/>.
    /// </summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        ref var p = ref MemoryMarshal.GetReference(data);
        var n = data.Length;
        var i = 0;
        if (n >= Block)
        {
            var acc = Vector512.LoadUnsafe(ref p).AsUInt64() ^ Vector512.CreateScalar((ulong)state);
            var k = s_fold512;
            for (i = Block; i + Block <= n; i += Block)
                acc = Fold(acc, k) ^ Vector512.LoadUnsafe(ref p, (nuint)i).AsUInt64();
            state = Reduce(acc);
        }
        for (; i + 8 <= n; i += 8)
            state = BitOperations.Crc32C(state, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
        for (; i < n; i++)
            state = BitOperations.Crc32C(state, Unsafe.Add(ref p, i));
        return state;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> and continues a raw CRC-32C
    /// state over it followed by zero padding up to a multiple of 8 bytes, which it also writes (the
    /// last partial word is stored zero-extended), reading the source once. The destination must have
    /// room for the padded length. Only when <see cref="IsSupported"/>.
    /// </summary>
    public static uint CopyAndAppend(uint state, ReadOnlySpan<byte> source, ref byte destination)
    {
        ref var p = ref MemoryMarshal.GetReference(source);
        var n = source.Length;
        var i = 0;
        if (n >= Block)
        {
            var data = Vector512.LoadUnsafe(ref p);
            data.StoreUnsafe(ref destination);
            var acc = data.AsUInt64() ^ Vector512.CreateScalar((ulong)state);
            var k = s_fold512;
            for (i = Block; i + Block <= n; i += Block)
            {
                data = Vector512.LoadUnsafe(ref p, (nuint)i);
                data.StoreUnsafe(ref destination, (nuint)i);
                acc = Fold(acc, k) ^ data.AsUInt64();
            }
            state = Reduce(acc);
        }
        return CopyAndAppendWords(state, ref p, n, i, ref destination);
    }

    /// <summary>
    /// The word-at-a-time part of <see cref="CopyAndAppend"/>, also the writer's whole path where
    /// folding does not apply: copies bytes [<paramref name="from"/>, <paramref name="length"/>) of
    /// <paramref name="source"/> to the same offsets of <paramref name="destination"/> 8 bytes at a time,
    /// continuing the raw CRC-32C state; a last partial word is stored and checksummed zero-extended.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint CopyAndAppendWords(uint state, ref byte source, int length, int from, ref byte destination)
    {
        var i = from;
        for (; i + 8 <= length; i += 8)
        {
            var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, i), word);
            state = BitOperations.Crc32C(state, word);
        }
        var rest = length - i;
        if (rest != 0)
        {
            ulong word;
            if (length >= 8)
            {
                // The last 8 source bytes, shifted so the bytes already done fall off the low end.
                word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, length - 8)) >> (8 * (8 - rest));
            }
            else
            {
                word = 0;
                for (var j = rest - 1; j >= 0; j--) word = (word << 8) | Unsafe.Add(ref source, i + j);
            }
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, i), word);
            state = BitOperations.Crc32C(state, word);
        }
        return state;
    }

    /// <summary>Each 16-byte block of <paramref name="acc"/> folded forward by the distance of <paramref name="k"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Fold(Vector512<ulong> acc, Vector512<ulong> k) =>
        Pclmulqdq.V512.CarrylessMultiply(acc, k, 0x00) ^ Pclmulqdq.V512.CarrylessMultiply(acc, k, 0x11);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Fold(Vector128<ulong> block, Vector128<ulong> k) =>
        Pclmulqdq.CarrylessMultiply(block, k, 0x00) ^ Pclmulqdq.CarrylessMultiply(block, k, 0x11);

    /// <summary>The raw state (from 0) of the 64 bytes the accumulator stands for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Reduce(Vector512<ulong> acc)
    {
        var low = acc.GetLower();
        var high = acc.GetUpper();
        var block = Fold(low.GetLower(), s_fold384) ^ Fold(low.GetUpper(), s_fold256) ^ Fold(high.GetLower(), s_fold128) ^ high.GetUpper();
        return BitOperations.Crc32C(BitOperations.Crc32C(0u, block.GetElement(0)), block.GetElement(1));
    }

    /// <summary>The constants that fold a 16-byte block forward by <paramref name="bits"/>: x^(bits+31) and x^(bits−33) mod P.</summary>
    internal static Vector128<ulong> FoldConstants(int bits) => Vector128.Create(XPowMod(bits + 31), XPowMod(bits - 33));

    /// <summary>x^<paramref name="n"/> mod P in the CRC's reversed bit order (bit 31 is x^0), as the register holds it.</summary>
    internal static ulong XPowMod(int n)
    {
        var r = 0x8000_0000u;
        for (var i = 0; i < n; i++) r = (r >> 1) ^ ((r & 1) != 0 ? 0x82F6_3B78u : 0u);
        return r;
    }

    private static Vector512<ulong> Broadcast(Vector128<ulong> pair) =>
        Vector512.Create(Vector256.Create(pair, pair), Vector256.Create(pair, pair));
}
