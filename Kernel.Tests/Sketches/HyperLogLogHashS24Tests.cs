using System.Buffers.Binary;
using System.IO.Hashing;
using Kernel.Sketches;

namespace Kernel.Tests.Sketches;

/// <summary>
/// docs/sketches.md: a value is counted by the 64-bit XxHash3 (seed 0) of its little-endian bytes (session 24's audit).
/// A different hash would count every customer already in a restored or merged sketch a second time.
/// </summary>
public sealed class HyperLogLogHashS24Tests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(123_456_789_012L)]
    [InlineData(long.MinValue)]
    public void Hash_IsXxHash3OfTheLittleEndianBytes_WithSeedZero(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        Assert.Equal(XxHash3.HashToUInt64(bytes, seed: 0), HyperLogLog.Hash(value));
    }

    [Fact]
    public void AddingALong_CountsAsAddingItsLittleEndianBytes()
    {
        var byLong = new HyperLogLog(14);
        var byBytes = new HyperLogLog(14);
        var bytes = new byte[8];
        for (long v = 0; v < 5_000; v++)
        {
            byLong.Add(v * 7_919);
            BinaryPrimitives.WriteInt64LittleEndian(bytes, v * 7_919);
            byBytes.Add(bytes);
        }
        Assert.False(byLong.IsSparse);
        Assert.Equal(byLong.Estimate(), byBytes.Estimate());
        var merged = new HyperLogLog(14);
        merged.Merge(byLong);
        merged.Merge(byBytes);
        Assert.Equal(byLong.Estimate(), merged.Estimate());   // the same values: the union counts nothing twice
    }
}
