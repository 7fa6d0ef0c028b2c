using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kernel.Tests.Operators;

/// <summary>
/// CI runs the windowed fold loops' model tests again with <c>DOTNET_EnableAVX512=0</c> and with
/// <c>DOTNET_EnableHWIntrinsic=0</c>, so that the loops' other instruction choices are tested too. A switch the
/// runtime does not know is ignored silently (.NET 10 dropped <c>EnableAVX512F</c>): this fails such a run instead of
/// letting it test the same code twice.
/// </summary>
public sealed class IsaSwitchTests
{
    [Fact]
    public void TheRuntimeSwitchesOfTheRun_AreInEffect()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
            Assert.False(Avx512F.IsSupported, "DOTNET_EnableAVX512=0 is set, yet AVX-512 is in use");
        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0")
            Assert.False(Vector128.IsHardwareAccelerated, "DOTNET_EnableHWIntrinsic=0 is set, yet vectors are accelerated");
    }
}
