using System.Buffers.Binary;
using Kernel.Storage.Common;
using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

public sealed class RecordFrameTests
{
    /// <summary>
    /// The writer's one-pass copy and checksum must store exactly the payload followed by zero
    /// padding, and return the CRC-32C of (offset, frame length, timestamp, padded payload)
    /// computed here with the plain sequential <see cref="Crc32C"/>, for every fused length (up to
    /// 1100 bytes where the CPU folds: both sides of <see cref="RecordFrame.FoldingMinLength"/>), and
    /// <see cref="RecordFrame.Checksum"/> over the copied padded payload must agree (what readers check).
    /// </summary>
    [Fact]
    public void CopyAndChecksum_MatchesSequentialCrcOverPaddedPayload_ForEveryLength()
    {
        var rng = new Random(99);
        for (var length = 0; length <= 1100 && RecordFrame.Fuses(length); length++)
        {
            var payload = new byte[length];
            rng.NextBytes(payload);
            var padded = (length + 7) & ~7;
            var destination = new byte[padded + 8];
            destination.AsSpan().Fill(0xEE); // the padding must be written as zeros, whatever was there
            var offset = rng.NextInt64();
            var timestamp = rng.NextInt64();
            var frameLength = (uint)(16 + length);

            var crc = RecordFrame.CopyAndChecksum(offset, frameLength, timestamp, payload, ref destination[0]);

            Assert.True(destination.AsSpan(0, length).SequenceEqual(payload), $"length {length}: payload not copied");
            Assert.False(destination.AsSpan(length, padded - length).ContainsAnyExcept((byte)0), $"length {length}: padding not zero");
            Assert.False(destination.AsSpan(padded).ContainsAnyExcept((byte)0xEE), $"length {length}: wrote past the padding");
            var expectedInput = new byte[20 + padded];
            BinaryPrimitives.WriteInt64LittleEndian(expectedInput, offset);
            BinaryPrimitives.WriteUInt32LittleEndian(expectedInput.AsSpan(8), frameLength);
            BinaryPrimitives.WriteInt64LittleEndian(expectedInput.AsSpan(12), timestamp);
            payload.CopyTo(expectedInput, 20);
            Assert.Equal(Crc32C.Compute(expectedInput), crc);
            Assert.Equal(crc, RecordFrame.Checksum(offset, frameLength, timestamp, destination.AsSpan(0, padded)));
        }
    }
}
