namespace Kernel.Sources;

/// <summary>
/// Thrown by a source whose policy is <see cref="BadRecordPolicy.Fail"/> when it meets a record
/// it cannot frame or parse. Carries the record's location as fields, not only as text.
/// </summary>
public sealed class BadRecordException : Exception
{
    /// <summary>Creates the exception for <paramref name="record"/>.</summary>
    /// <param name="record">The bad record.</param>
    public BadRecordException(BadRecord record)
        : base((record ?? throw new ArgumentNullException(nameof(record))).ToString()) => Record = record;

    /// <summary>Creates the exception with a message only (for serializers and tests).</summary>
    public BadRecordException()
        : this(new BadRecord("unknown", 0, 0, null, null, "bad record"))
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    /// <param name="message">The message.</param>
    public BadRecordException(string message)
        : base(message) => Record = new BadRecord("unknown", 0, 0, null, null, message);

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public BadRecordException(string message, Exception innerException)
        : base(message, innerException) => Record = new BadRecord("unknown", 0, 0, null, null, message);

    /// <summary>The bad record: source, line, byte position, column, value and reason.</summary>
    public BadRecord Record { get; }

    /// <summary>The source name: a file name, <c>stdin</c> or <c>tcp:port</c>.</summary>
    public string SourceName => Record.Source;

    /// <summary>The physical line (header = 1), or the frame number for binary frames.</summary>
    public long Line => Record.Line;

    /// <summary>The byte offset where the record starts.</summary>
    public long BytePosition => Record.BytePosition;

    /// <summary>The column at fault, or null.</summary>
    public string? Column => Record.Column;

    /// <summary>The offending value, or null.</summary>
    public string? Value => Record.Value;
}
