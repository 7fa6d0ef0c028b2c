namespace Kernel.Formats;

/// <summary>Thrown by the throwing read methods of generated readers; carries the <see cref="FormatError"/>.</summary>
public sealed class EventFormatException : FormatException
{
    /// <summary>Creates the exception from an error.</summary>
    /// <param name="error">What went wrong and where.</param>
    public EventFormatException(FormatError error)
        : base(error.ToString()) => Error = error;

    /// <summary>What went wrong and where.</summary>
    public FormatError Error { get; }
}
