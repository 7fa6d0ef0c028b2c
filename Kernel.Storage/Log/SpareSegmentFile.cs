using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kernel.Storage.Log;

/// <summary>
/// Reuse of a segment file that retention freed (<see cref="LogOptions.RecycleSegments"/>). Only its
/// header is blanked (written as zeros and fdatasynced) before it gets the next segment's name: a
/// crash then leaves a blank last file, which recovery deletes as a prepared segment never started.
/// Its records stay: the file keeps its blocks (written before, so the disk does not pay its
/// first-write cost again) and its pages stay in the page cache (so pre-touching it allocates and
/// zeroes nothing). The old records are never read as new ones: a frame's checksum covers the
/// record's offset, which is not stored, and every offset in a retired file is below the base
/// offset of any later segment, so a stale frame fails the check at every position a scan reaches
/// (recovery stops there as at a torn record). The writer keeps a zero frame header after the last
/// record of a sealed or cleanly closed segment (<see cref="SegmentedLog"/>'s terminator), so a clean
/// end never looks torn. Linux only (a mapped file can be renamed under its readers).
/// </summary>
internal static partial class SpareSegmentFile
{
    /// <summary>The extension of a freed segment file waiting to be reused.</summary>
    public const string Extension = ".spare";

    /// <summary>True where spare files can be reused (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Writes zeros over the file's segment header and fdatasyncs it, so that after a crash it is a
    /// blank file too. False when the platform or the file system cannot (the caller then creates a
    /// fresh file instead).
    /// </summary>
    public static bool TryBlankHeader(SafeFileHandle handle)
    {
        if (!IsSupported) return false;
        Span<byte> zeros = stackalloc byte[SegmentHeader.Length];
        zeros.Clear();
        RandomAccess.Write(handle, zeros, 0);
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Fdatasync((int)handle.DangerousGetHandle()) == 0;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);
}
