namespace Kernel.Sources;

/// <summary>
/// Turns one framed record (a line without its terminator, or a binary frame's payload) into an
/// event. Sources take the parser as a struct-constrained type argument, so every call is a
/// direct, inlinable call: no interface dispatch per record.
/// </summary>
/// <remarks>
/// The spans handed to a parser are valid only during the call (they point into the source's
/// read buffer or its scratch buffer). A parser keeps no reference to them.
/// </remarks>
/// <typeparam name="T">The event type the parser produces.</typeparam>
public interface IRecordParser<T>
{
    /// <summary>
    /// Receives the header line (physical line 1) when the source is configured with
    /// <see cref="SourceOptions.HasHeader"/>; called once, before any record, and again on a
    /// resumed file source (which reads line 1 before seeking).
    /// </summary>
    /// <param name="header">The header line, without its line terminator.</param>
    void ParseHeader(ReadOnlySpan<byte> header);

    /// <summary>
    /// Called right after <see cref="ParseHeader"/>: returns true, with what is wrong (the missing
    /// or repeated column), when the header cannot be used. The source then stops with a
    /// <see cref="BadRecordException"/> naming its file and the header's line, whatever the
    /// <see cref="SourceOptions.BadRecordPolicy"/>: no record could be read against that header.
    /// </summary>
    /// <remarks>
    /// The default reports no error. It is a query rather than a second way to parse the header
    /// because a default interface method runs on a boxed copy of a struct parser: state it kept
    /// would be lost, whereas this default keeps none. That box is one small allocation per
    /// header; a parser that must allocate nothing at all implements the method.
    /// </remarks>
    /// <param name="error">What is wrong with the header when the method returns true; default otherwise.</param>
    /// <returns>True when the header was rejected.</returns>
    bool TryGetHeaderError(out RecordError error)
    {
        error = default;
        return false;
    }

    /// <summary>
    /// Parses one record. On failure returns false and describes the bad column and value in
    /// <paramref name="error"/>; the source adds the file name, line and byte position.
    /// </summary>
    /// <param name="record">The record bytes, never empty for line framing.</param>
    /// <param name="value">The parsed event, written in place into the source's batch.</param>
    /// <param name="error">What was wrong when the method returns false; default otherwise.</param>
    /// <returns>True when <paramref name="value"/> holds a parsed event.</returns>
    bool TryParse(ReadOnlySpan<byte> record, out T value, out RecordError error);
}
