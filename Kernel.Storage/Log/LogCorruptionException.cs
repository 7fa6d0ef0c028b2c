namespace Kernel.Storage.Log;

/// <summary>
/// Bytes in a log file failed their checks (a bad checksum, an impossible length, a gap in the
/// offsets) at a place recovery may not truncate: corrupt data is reported, never handed out.
/// </summary>
public sealed class LogCorruptionException : IOException
{
    /// <summary>Creates the exception for byte <paramref name="position"/> of <paramref name="path"/>.</summary>
    public LogCorruptionException(string path, long position, string message)
        : base($"{path} at byte {position}: {message}")
    {
        FilePath = path;
        Position = position;
    }

    /// <summary>The corrupt file.</summary>
    public string FilePath { get; }

    /// <summary>The byte position in the file where the corrupt data starts.</summary>
    public long Position { get; }
}
