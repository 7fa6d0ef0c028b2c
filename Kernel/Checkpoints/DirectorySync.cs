using System.Runtime.InteropServices;

namespace Kernel.Checkpoints;

/// <summary>
/// Makes a directory's entries durable (a created, renamed or deleted file survives power loss)
/// by fsyncing the directory itself, which .NET has no API for. The only interop in the checkpoint
/// code: it passes a path string and a descriptor it owns to libc, and closes the descriptor on
/// every path. On Windows directory metadata is journaled by NTFS and there is nothing to do.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;

    // 1 once a flush went through libc, -1 once libc could not be loaded; written racily (idempotent).
    private static int s_available;

    /// <summary>Whether directory fsync is available here: null until the first flush.</summary>
    public static bool? IsAvailable => s_available == 0 ? null : s_available > 0;

    /// <summary>Fsyncs <paramref name="directory"/>; a platform without the calls is treated as done.</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd;
        try
        {
            fd = Open(directory, ReadOnly);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_available = -1;
            return;
        }
        s_available = 1;
        if (fd < 0)
            throw new IOException($"could not open directory '{directory}' to make its entries durable (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()})");
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
