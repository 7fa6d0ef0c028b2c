using System.Buffers.Binary;
using Kernel.Sketches;
using Kernel.Storage.Common;

namespace Kernel.Tests.Sketches;

/// <summary>
/// docs/sketches.md: every reader failure names the format, the field and its offset, also when the checksum is
/// right (bytes written wrong, not damaged on the way). Each case changes one field and recomputes the CRC-32C
/// (session 24's audit).
/// </summary>
public sealed class HyperLogLogFieldsS24Tests
{
    private const int Body = 12;   // the frame header: magic, version, reserved, length

    private static byte[] Serialized(int precision, int values)
    {
        var h = new HyperLogLog(precision);
        for (var i = 0; i < values; i++) h.Add(i);
        var bytes = new byte[h.SerializedSize];
        h.WriteTo(bytes);
        return bytes;
    }

    private static string Rejected(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        return Assert.Throws<InvalidDataException>(() => HyperLogLog.ReadFrom(bytes)).Message;
    }

    [Fact]
    public void Precision_OutOfRange_IsNamed()
    {
        var bytes = Serialized(14, 10);
        bytes[Body] = 3;
        Assert.StartsWith("HyperLogLog: field 'precision' at offset 12: 3 is outside", Rejected(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownEncoding_IsNamed()
    {
        var bytes = Serialized(14, 10);
        bytes[Body + 1] = 2;
        Assert.StartsWith("HyperLogLog: field 'encoding' at offset 13: 2 is neither", Rejected(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void DenseRegisterAboveTheMaximumRank_IsNamed()
    {
        var bytes = Serialized(14, 100_000);
        Assert.Equal(1, bytes[Body + 1]);          // dense
        bytes[Body + 8] |= 63;                     // register 0: rank 63, above 65 − 14 = 51
        Assert.StartsWith("HyperLogLog: field 'registers' at offset 20: register 0 holds rank 63", Rejected(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void SparseEntryRepeatingThePrevious_IsNamed()
    {
        var bytes = Serialized(14, 10);
        Assert.Equal(0, bytes[Body + 1]);          // sparse
        var payload = Body + 8;
        var second = payload;
        while ((bytes[second] & 0x80) != 0) second++;
        second++;                                  // the second entry's varint delta starts here
        var end = second;
        while ((bytes[end] & 0x80) != 0) end++;
        // The same number of bytes, now encoding 0: the entry repeats the one before it.
        for (var i = second; i < end; i++) bytes[i] = 0x80;
        bytes[end] = 0;
        Assert.Contains("field 'entries'", Rejected(bytes), StringComparison.Ordinal);
    }
}
