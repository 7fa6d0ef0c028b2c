using System.Buffers.Binary;
using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

/// <summary>Deterministic record contents: a record's bytes are a function of its offset, so any reader can check them.</summary>
internal static class LogTestData
{
    public static int LengthOf(long offset, int maxLength) => (int)((ulong)(offset * 2654435761L) % (ulong)(maxLength + 1));

    public static void Fill(Span<byte> payload, long offset)
    {
        for (var i = 0; i < payload.Length; i++) payload[i] = (byte)(offset * 31 + i * 7 + 1);
        if (payload.Length >= 8) BinaryPrimitives.WriteInt64LittleEndian(payload, offset);
    }

    public static byte[] Payload(long offset, int maxLength)
    {
        var bytes = new byte[LengthOf(offset, maxLength)];
        Fill(bytes, offset);
        return bytes;
    }

    public static bool Matches(ReadOnlySpan<byte> payload, long offset, int maxLength) =>
        payload.SequenceEqual(Payload(offset, maxLength));

    public static long TimeOf(long offset) => 1_000_000 + offset * 10;

    /// <summary>Asserts a reader from <paramref name="from"/> returns exactly the records [from, to), each with its offset, time and bytes, then nothing.</summary>
    public static void AssertReadsRange(SegmentedLog log, long from, long to, int maxLength)
    {
        using var reader = log.OpenReader(from);
        for (var o = from; o < to; o++)
        {
            Assert.True(reader.TryRead(out var record), $"record {o} missing");
            Assert.Equal(o, record.Offset);
            Assert.Equal(TimeOf(o), record.Timestamp);
            Assert.True(Matches(record.Payload, o, maxLength), $"record {o} has the wrong bytes");
        }
        Assert.False(reader.TryRead(out _));
    }
}
