namespace Kernel.Storage.Log;

/// <summary>
/// A log file is not in a format this build reads: another file type, another format version, or
/// a payload fingerprint other than the one the log was opened with.
/// </summary>
public sealed class LogFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public LogFormatException(string path, string message)
        : base($"{path}: {message}") => FilePath = path;

    /// <summary>The file that could not be read.</summary>
    public string FilePath { get; }
}
