namespace Kernel.Checkpoints;

/// <summary>
/// Replaces a small file so that a reader (or a restart after a crash) sees either the old content
/// or the new, never a mix: write <c>&lt;path&gt;.tmp</c>, fsync it, rename it over the target, fsync
/// the directory.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The suffix of the temporary file; a leftover one is garbage from a crash and is ignored.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="content"/>.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="content">The complete new content.</param>
    /// <param name="beforeRename">A crash point name hit after the temporary file is durable and before the rename, or null.</param>
    public static void Write(string path, ReadOnlySpan<byte> content, string? beforeRename = null)
    {
        var temp = path + TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        if (beforeRename is not null) CrashPoints.Hit(beforeRename);
        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
