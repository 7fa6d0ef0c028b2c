using Kernel.Storage.Common;
using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

public sealed class InterleavedCrc32CTests
{
    [Fact]
    public void Append_EqualsSequentialCrc32C_ForEveryLengthAndState()
    {
        var rng = new Random(31);
        var data = new byte[2000];
        rng.NextBytes(data);
        for (var length = 0; length <= data.Length; length++)
        {
            var state = (uint)rng.Next() ^ ((uint)rng.Next() << 16);
            var span = data.AsSpan(rng.Next(0, data.Length - length + 1), length);
            Assert.True(Crc32C.Append(state, span) == InterleavedCrc32C.Append(state, span), $"seed 31, length {length}, state 0x{state:X8}");
        }
    }
}
