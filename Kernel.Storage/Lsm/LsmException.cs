namespace Kernel.Storage.Lsm;

/// <summary>A store file is damaged, truncated, foreign or of another format version.</summary>
public class LsmException : IOException
{
    /// <summary>Creates the exception.</summary>
    public LsmException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public LsmException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception with no message.</summary>
    public LsmException() { }
}
