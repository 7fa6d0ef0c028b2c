namespace Kernel.Storage.Lsm;

/// <summary>
/// A checksum or structure check failed: the named file is damaged at <see cref="Position"/>.
/// Damaged bytes are never returned as data.
/// </summary>
public sealed class LsmCorruptionException : LsmException
{
    /// <summary>Creates the exception for <paramref name="path"/> at byte <paramref name="position"/>.</summary>
    public LsmCorruptionException(string path, long position, string what)
        : base($"{Path.GetFileName(path)}: {what} at byte {position} (file {path})")
    {
        FilePath = path;
        Position = position;
    }

    /// <summary>Creates the exception with no detail.</summary>
    public LsmCorruptionException() { FilePath = ""; }

    /// <summary>Creates the exception with a message only.</summary>
    public LsmCorruptionException(string message) : base(message) { FilePath = ""; }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public LsmCorruptionException(string message, Exception inner) : base(message, inner) { FilePath = ""; }

    /// <summary>The damaged file.</summary>
    public string FilePath { get; }

    /// <summary>Byte offset in <see cref="FilePath"/> of the damaged record or block.</summary>
    public long Position { get; }
}
