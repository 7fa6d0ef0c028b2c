using System.Runtime.InteropServices;

namespace Kernel.Storage.Lsm.Native;

/// <summary>
/// The few libc calls .NET does not expose: <c>link(2)</c> for checkpoints (a hard link costs
/// no copy) and <c>fsync(2)</c> on a directory, which makes a rename durable. Every call checks
/// the platform first; callers fall back (copy, skip) where these do not exist. The only
/// unsafe code is the marshalled call itself: paths are marshalled as NUL-terminated UTF-8.
/// </summary>
internal static partial class PosixFile
{
    private static bool IsPosix => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    /// <summary>Creates <paramref name="linkPath"/> as a hard link to <paramref name="existing"/>; false where links are unsupported.</summary>
    public static bool TryHardLink(string existing, string linkPath)
    {
        if (!IsPosix) return false;
        try
        {
            return Link(existing, linkPath) == 0;
        }
        catch (EntryPointNotFoundException) { return false; }
        catch (DllNotFoundException) { return false; }
    }

    /// <summary>Flushes a directory's entries (renames, creates) to disk; a no-op where unsupported.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!IsPosix) return;
        try
        {
            var fd = Open(directory, 0 /* O_RDONLY */);
            if (fd < 0) return;
            Fsync(fd);
            Close(fd);
        }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string linkPath);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
