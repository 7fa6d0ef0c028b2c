namespace Kernel.Checkpoints;

/// <summary>A checkpoint file that cannot be read: torn, corrupt, or from an unknown format version.</summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the exception; the message names the file, the field and the offset.</summary>
    /// <param name="path">The file.</param>
    /// <param name="field">The field being read or checked.</param>
    /// <param name="offset">The byte offset of that field in the file.</param>
    /// <param name="problem">What is wrong.</param>
    public CheckpointFormatException(string path, string field, long offset, string problem)
        : base($"{path}: {field} at offset {offset}: {problem}")
    {
        Path = path;
        Field = field;
        Offset = offset;
    }

    /// <summary>The file that could not be read.</summary>
    public string Path { get; }

    /// <summary>The field being read or checked when the problem was found.</summary>
    public string Field { get; }

    /// <summary>The byte offset of that field.</summary>
    public long Offset { get; }
}
