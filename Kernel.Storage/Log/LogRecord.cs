namespace Kernel.Storage.Log;

/// <summary>
/// One record as a reader sees it: a view straight over the mapped file, valid until the reader
/// moves on (the next read, or its disposal).
/// </summary>
public readonly ref struct LogRecord
{
    /// <summary>Creates a record view.</summary>
    public LogRecord(long offset, long timestamp, ReadOnlySpan<byte> payload)
    {
        Offset = offset;
        Timestamp = timestamp;
        Payload = payload;
    }

    /// <summary>The record's logical offset.</summary>
    public long Offset { get; }

    /// <summary>The timestamp (event time) the appender gave.</summary>
    public long Timestamp { get; }

    /// <summary>The payload bytes (checksum already verified).</summary>
    public ReadOnlySpan<byte> Payload { get; }
}
