using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// Software prefetch for point reads, so that the cache misses of a read overlap instead of
/// following one another: the bloom filter's line and the cached block's first lines (header,
/// restart prefixes and offsets) are requested together before either is used (quick suite
/// <c>lsm get-hit</c>: a read was a chain of about six misses). A prefetch is only a hint that
/// never faults, so the unpinned address of a managed array is safe here even if the GC moves
/// the array in between: the hint is then wasted. The only unsafe code: taking that address.
/// No-op where SSE is missing.
/// </summary>
internal static class Prefetch
{
    /// <summary>Requests <paramref name="lines"/> 64-byte lines of <paramref name="array"/> from <paramref name="offset"/> on (unchecked: hints only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Lines(byte[] array, int offset, int lines)
    {
        if (!Sse.IsSupported) return;
        var p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)) + offset;
        for (var i = 0; i < lines; i++) Sse.Prefetch0(p + 64 * i);
    }
}
