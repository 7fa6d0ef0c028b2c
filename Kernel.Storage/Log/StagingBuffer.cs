using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Storage.Log;

/// <summary>
/// The writer's staging buffer (<see cref="LogOptions.StagingBytes"/>): native memory, allocated
/// and written once when the log opens and reused for every segment, so the writer's stores always
/// land on pages it has touched before. Records are framed here and handed to the file with large
/// <c>pwrite</c>s (<see cref="SegmentedLog.WriteStaged"/>) instead of being stored into the
/// segment's mapping, where every first store to a page faults (1–14 µs a page on some virtual
/// machines, see Kernel.Bench/Notes/log.md, session 9).
/// </summary>
/// <remarks>
/// The only other unsafe code of the log besides <see cref="MappedRegion"/>. The buffer holds the
/// segment bytes [<c>base</c>, <c>base + Length</c>) of the active segment; the writer addresses it
/// through an origin pointer (<see cref="OriginFor"/>) such that segment byte <c>p</c> lives at
/// <c>origin + p</c>, the same way it addresses a mapping (<see cref="MappedRegion.Origin"/>), so
/// the append path is the same code for both. Safety invariant: callers only address positions in
/// [<c>base</c>, <c>base + Length</c>) (the writer checks its window limit before every store), and
/// <see cref="Dispose"/> runs under the log's staging lock after the last use.
/// </remarks>
internal sealed unsafe class StagingBuffer : IDisposable
{
    private byte* _memory;

    /// <summary>Allocates <paramref name="length"/> bytes, page-aligned, and touches every page.</summary>
    public StagingBuffer(int length)
    {
        Length = length;
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
        new Span<byte>(_memory, length).Clear(); // the first (slow) touch of each page, once per log
    }

    /// <summary>Bytes in the buffer.</summary>
    public int Length { get; }

    /// <summary>The origin for a window whose first byte is segment byte <paramref name="basePosition"/>.</summary>
    public nint OriginFor(long basePosition) => (nint)_memory - (nint)basePosition;

    /// <summary>The staged segment bytes [<paramref name="from"/>, <paramref name="to"/>) of a window starting at <paramref name="basePosition"/>.</summary>
    public ReadOnlySpan<byte> Staged(long basePosition, long from, long to)
    {
        if (from < basePosition || to < from || to - basePosition > Length)
            LogThrow.RegionOutOfRange(from, (int)Math.Min(to - from, int.MaxValue), Length);
        return new ReadOnlySpan<byte>(_memory + (from - basePosition), (int)(to - from));
    }

    /// <summary>Frees the memory (under the log's staging lock, after the last use).</summary>
    public void Dispose()
    {
        if (_memory == null) return;
        NativeMemory.AlignedFree(_memory);
        _memory = null;
    }
}

/// <summary>
/// The writer's access to its window (a mapping or the staging buffer) through an origin pointer:
/// segment byte <c>p</c> is at <c>origin + p</c>. The caller has checked that the bytes lie inside
/// the window (<see cref="SegmentedLog"/>'s window limit); nothing here checks.
/// </summary>
internal static unsafe class WindowBytes
{
    /// <summary>A reference to segment byte <paramref name="position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref byte At(nint origin, long position) => ref *(byte*)(origin + (nint)position);

    /// <summary><paramref name="length"/> writable bytes from segment byte <paramref name="position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<byte> Span(nint origin, long position, int length) => new((byte*)(origin + (nint)position), length);
}
