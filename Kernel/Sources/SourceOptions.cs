namespace Kernel.Sources;

/// <summary>How a source frames, batches and judges its input. Validated when a source is built.</summary>
public sealed class SourceOptions
{
    /// <summary>How the byte stream is cut into records. Default <see cref="RecordFraming.Lines"/>.</summary>
    public RecordFraming Framing { get; init; } = RecordFraming.Lines;

    /// <summary>
    /// True when physical line 1 is a header handed to <see cref="IRecordParser{T}.ParseHeader"/>
    /// rather than parsed as a record. Ignored for binary frames.
    /// </summary>
    public bool HasHeader { get; init; }

    /// <summary>
    /// The longest record, in bytes, without its terminator (or the largest frame payload). A
    /// longer one is a bad record; the source never buffers more than this for one record.
    /// Default 64 KiB.
    /// </summary>
    public int MaxRecordLength { get; init; } = 64 * 1024;

    /// <summary>
    /// The largest <see cref="MaxRecordLength"/> accepted (256 MiB): each read loop holds a
    /// scratch buffer of that size for records that straddle read buffers.
    /// </summary>
    public const int MaxRecordLengthLimit = 256 << 20;

    /// <summary>Events parsed before a publish to the target. Default 1024.</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>What to do with a record that cannot be framed or parsed. Default <see cref="BadRecordPolicy.Fail"/>.</summary>
    public BadRecordPolicy BadRecordPolicy { get; init; } = BadRecordPolicy.Fail;

    /// <summary>The file bad records are appended to under <see cref="BadRecordPolicy.DeadLetter"/>.</summary>
    public string? DeadLetterPath { get; init; }

    /// <summary>The size of the reads from the underlying stream. Default 64 KiB.</summary>
    public int ReadBufferSize { get; init; } = 64 * 1024;

    /// <summary>Options with every default.</summary>
    public static SourceOptions Default { get; } = new();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (MaxRecordLength is < 1 or > MaxRecordLengthLimit)
            throw new ArgumentException($"MaxRecordLength must be between 1 byte and {MaxRecordLengthLimit} bytes, was {MaxRecordLength}.", nameof(MaxRecordLength));
        if (BatchSize < 1)
            throw new ArgumentException($"BatchSize must be at least 1, was {BatchSize}.", nameof(BatchSize));
        if (ReadBufferSize < 1)
            throw new ArgumentException($"ReadBufferSize must be at least 1 byte, was {ReadBufferSize}.", nameof(ReadBufferSize));
        if (Framing is not (RecordFraming.Lines or RecordFraming.LengthPrefixed))
            throw new ArgumentException($"Framing {Framing} is not a known framing.", nameof(Framing));
        if (BadRecordPolicy is not (BadRecordPolicy.Fail or BadRecordPolicy.SkipAndCount or BadRecordPolicy.DeadLetter))
            throw new ArgumentException($"BadRecordPolicy {BadRecordPolicy} is not a known policy.", nameof(BadRecordPolicy));
        if (BadRecordPolicy == BadRecordPolicy.DeadLetter && string.IsNullOrEmpty(DeadLetterPath))
            throw new ArgumentException("BadRecordPolicy.DeadLetter needs DeadLetterPath: the file bad records are appended to.", nameof(DeadLetterPath));
    }
}
