using System.Runtime.InteropServices;

namespace Kernel.Storage.Log;

/// <summary>
/// Makes a change to a directory's entries (a file deleted or renamed) durable: fsync of the
/// directory on Linux; nothing elsewhere. Used where a deletion must reach the disk before the
/// data it describes changes (an index file before truncation rewrites its segment).
/// </summary>
internal static partial class LogDirectorySync
{
    private const int OpenReadOnly = 0; // O_RDONLY: enough to fsync a directory, and the same on every Linux architecture

    /// <summary>fsyncs <paramref name="directory"/>; throws an <see cref="IOException"/> when it fails.</summary>
    public static void Sync(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(directory, OpenReadOnly);
        if (fd < 0) throw new IOException($"{directory}: cannot open the directory to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"{directory}: fsync of the directory failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
