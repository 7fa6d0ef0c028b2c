namespace Kernel.Sources;

/// <summary>How a source cuts its byte stream into records.</summary>
public enum RecordFraming
{
    /// <summary>
    /// Newline-delimited records (CSV, JSON lines): LF or CRLF terminated; a final record without
    /// a terminator is still a record; empty lines are skipped (they count as lines, not records).
    /// </summary>
    Lines = 0,

    /// <summary>
    /// Binary frames: a 4-byte little-endian unsigned payload length, then the payload. A frame
    /// cut short by the end of input is a bad record at the frame's byte offset.
    /// </summary>
    LengthPrefixed = 1,
}
