using System.Text;

namespace Kernel.Sources;

/// <summary>
/// What a parser found wrong with a record: the column, the offending value and why. Built only
/// on the failure path, so its strings cost nothing per good record.
/// </summary>
public readonly struct RecordError
{
    /// <summary>The longest value, in bytes, that <see cref="Create"/> copies into the error text.</summary>
    public const int MaxValueBytes = 64;

    /// <summary>Creates an error naming a column, its value and the reason.</summary>
    /// <param name="column">The column or field name (or index as text); null when no single column is at fault.</param>
    /// <param name="value">The offending value as text; null when there is none.</param>
    /// <param name="reason">Why the record was rejected, e.g. "not an integer".</param>
    public RecordError(string? column, string? value, string reason)
    {
        Column = column;
        Value = value;
        Reason = reason;
    }

    /// <summary>The column or field name, or null.</summary>
    public string? Column { get; }

    /// <summary>The offending value as text (UTF-8 decoded, at most <see cref="MaxValueBytes"/> bytes), or null.</summary>
    public string? Value { get; }

    /// <summary>Why the record was rejected; null only for <c>default(RecordError)</c>.</summary>
    public string? Reason { get; }

    /// <summary>
    /// Creates an error from a raw UTF-8 value, decoding at most <see cref="MaxValueBytes"/> bytes
    /// (a longer value is cut and marked with "...").
    /// </summary>
    /// <param name="column">The column name.</param>
    /// <param name="value">The raw value bytes.</param>
    /// <param name="reason">Why the value was rejected.</param>
    /// <returns>The error.</returns>
    public static RecordError Create(string? column, ReadOnlySpan<byte> value, string reason)
    {
        var text = value.Length <= MaxValueBytes
            ? Encoding.UTF8.GetString(value)
            : Encoding.UTF8.GetString(value[..MaxValueBytes]) + "...";
        return new RecordError(column, text, reason);
    }
}
