using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kernel.Storage.Log;

/// <summary>
/// Reuse of a segment file that retention freed (<see cref="LogOptions.RecycleSegments"/>): its
/// bytes are zeroed by the file system without writing them (fallocate with
/// <c>FALLOC_FL_ZERO_RANGE</c>: the blocks stay allocated and turn into unwritten extents that read
/// as zero), then fsynced, so the file is indistinguishable from a freshly created segment while
/// its blocks, written once before, do not pay the disk's first-write cost again. Linux only.
/// </summary>
internal static partial class SpareSegmentFile
{
    /// <summary>The extension of a freed segment file waiting to be reused.</summary>
    public const string Extension = ".spare";

    private const int FallocKeepSize = 0x01;  // FALLOC_FL_KEEP_SIZE
    private const int FallocZeroRange = 0x10; // FALLOC_FL_ZERO_RANGE

    /// <summary>True where spare files can be zeroed in place (Linux; the file system may still refuse, see <see cref="TryZero"/>).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Zeroes bytes [0, <paramref name="length"/>) of the file and fsyncs it, so that after a crash
    /// it reads as zero too. False when the platform or the file system cannot (the caller then
    /// creates a fresh file instead).
    /// </summary>
    public static bool TryZero(SafeFileHandle handle, long length)
    {
        if (!IsSupported) return false;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            return Fallocate(fd, FallocZeroRange | FallocKeepSize, 0, length) == 0 && Fsync(fd) == 0;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);
}
