using System.Text;
using Kernel.Storage.Common;

namespace Kernel.Tests.Storage.Common;

public sealed class Crc32CTests
{
    // The check value of CRC-32C for "123456789" is published with the algorithm (RFC 3720, B.4).
    [Fact]
    public void Compute_CheckString_MatchesPublishedValue() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Append_InPieces_EqualsWhole()
    {
        var data = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog, twice over");
        for (var cut = 0; cut <= data.Length; cut++)
        {
            var state = Crc32C.Append(uint.MaxValue, data.AsSpan(0, cut));
            state = Crc32C.Append(state, data.AsSpan(cut));
            Assert.Equal(Crc32C.Compute(data), ~state);
        }
    }

    [Fact]
    public void Compute_DetectsEverySingleBitFlip()
    {
        var data = new byte[64];
        new Random(7).NextBytes(data);
        var good = Crc32C.Compute(data);
        for (var bit = 0; bit < data.Length * 8; bit++)
        {
            data[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(good, Crc32C.Compute(data));
            data[bit / 8] ^= (byte)(1 << (bit % 8));
        }
    }
}
