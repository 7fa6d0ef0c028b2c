using System.Runtime.Intrinsics;
using Kernel.Storage.Common;
using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

public sealed class FoldingCrc32CTests
{
    /// <summary>
    /// The folding constants in the register's reversed bit order: x^32 mod P is P's low 32 terms
    /// (0x82F63B78 reversed), and a fold by D bits takes x^(D+31) and x^(D−33), which the other
    /// tests check against the <c>crc32</c> instruction.
    /// </summary>
    [Fact]
    public void XPowMod_MatchesThePolynomial()
    {
        Assert.Equal(0x8000_0000UL, FoldingCrc32C.XPowMod(0));
        Assert.Equal(0x4000_0000UL, FoldingCrc32C.XPowMod(1));
        Assert.Equal(0x82F6_3B78UL, FoldingCrc32C.XPowMod(32));
        Assert.Equal(Vector128.Create(FoldingCrc32C.XPowMod(543), FoldingCrc32C.XPowMod(479)), FoldingCrc32C.FoldConstants(512));
    }

    /// <summary>
    /// Folding must give the plain sequential CRC-32C for every length (below, at and across the
    /// 64-byte blocks, with tails of every size), unaligned starts and any running state.
    /// </summary>
    [Fact]
    public void Append_EqualsSequentialCrc32C_ForEveryLengthAndState()
    {
        if (!FoldingCrc32C.IsSupported) return; // the log uses InterleavedCrc32C there (its own test)
        var rng = new Random(37);
        var data = new byte[1200];
        rng.NextBytes(data);
        for (var length = 0; length <= 1100; length++)
        {
            var state = (uint)rng.Next() ^ ((uint)rng.Next() << 16);
            var span = data.AsSpan(rng.Next(0, data.Length - length + 1), length);
            Assert.True(Crc32C.Append(state, span) == FoldingCrc32C.Append(state, span), $"seed 37, length {length}, state 0x{state:X8}");
        }
    }

    /// <summary>
    /// The copying variant must store exactly the bytes followed by zero padding to a multiple of 8,
    /// write nothing after it, and return the sequential CRC-32C of the padded bytes.
    /// </summary>
    [Fact]
    public void CopyAndAppend_CopiesPadsAndEqualsSequentialCrcOverPaddedBytes()
    {
        if (!FoldingCrc32C.IsSupported) return;
        var rng = new Random(41);
        for (var length = 0; length <= 1100; length++)
        {
            var source = new byte[length];
            rng.NextBytes(source);
            var padded = (length + 7) & ~7;
            var destination = new byte[padded + 72];
            destination.AsSpan().Fill(0xEE);
            var state = (uint)rng.Next() ^ ((uint)rng.Next() << 16);

            var crc = FoldingCrc32C.CopyAndAppend(state, source, ref destination[0]);

            Assert.True(destination.AsSpan(0, length).SequenceEqual(source), $"length {length}: not copied");
            Assert.False(destination.AsSpan(length, padded - length).ContainsAnyExcept((byte)0), $"length {length}: padding not zero");
            Assert.False(destination.AsSpan(padded).ContainsAnyExcept((byte)0xEE), $"length {length}: wrote past the padding");
            Assert.True(Crc32C.Append(state, destination.AsSpan(0, padded)) == crc, $"seed 41, length {length}, state 0x{state:X8}");
        }
    }

    /// <summary>A single flipped bit anywhere in a 512-byte payload changes the folded checksum (as it must for any CRC).</summary>
    [Fact]
    public void Append_DetectsEverySingleBitFlip_In512Bytes()
    {
        if (!FoldingCrc32C.IsSupported) return;
        var data = new byte[512];
        new Random(43).NextBytes(data);
        var clean = FoldingCrc32C.Append(uint.MaxValue, data);
        for (var bit = 0; bit < data.Length * 8; bit++)
        {
            data[bit >> 3] ^= (byte)(1 << (bit & 7));
            Assert.True(FoldingCrc32C.Append(uint.MaxValue, data) != clean, $"bit {bit} undetected");
            data[bit >> 3] ^= (byte)(1 << (bit & 7));
        }
    }
}
