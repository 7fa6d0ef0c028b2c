using System.Globalization;
using System.Text;

namespace Kernel.Sources;

/// <summary>
/// A record a source could not frame or parse, located exactly: the source name (a file name,
/// <c>stdin</c> or <c>tcp:port</c>), the physical line (the frame number for binary frames),
/// the byte position where the record starts, and the column, value and reason.
/// </summary>
public sealed class BadRecord
{
    /// <summary>Creates a description of a bad record.</summary>
    /// <param name="source">The source name.</param>
    /// <param name="line">The physical line (header = 1), or the frame number (first frame = 1).</param>
    /// <param name="bytePosition">The byte offset where the record starts in the input.</param>
    /// <param name="column">The column at fault, or null.</param>
    /// <param name="value">The offending value, or null.</param>
    /// <param name="reason">Why the record was rejected.</param>
    public BadRecord(string source, long line, long bytePosition, string? column, string? value, string reason)
    {
        Source = source;
        Line = line;
        BytePosition = bytePosition;
        Column = column;
        Value = value;
        Reason = reason;
    }

    /// <summary>The source name: a file name, <c>stdin</c> or <c>tcp:port</c>.</summary>
    public string Source { get; }

    /// <summary>The physical line number (header = 1); for binary frames, the frame number (first = 1).</summary>
    public long Line { get; }

    /// <summary>The byte offset in the input where the record starts.</summary>
    public long BytePosition { get; }

    /// <summary>The column at fault, or null when the record failed as a whole (framing).</summary>
    public string? Column { get; }

    /// <summary>The offending value as text, or null.</summary>
    public string? Value { get; }

    /// <summary>Why the record was rejected.</summary>
    public string Reason { get; }

    /// <summary>One line naming everything known: <c>orders.csv: line 3, byte 57: column 'price' value "x": not an integer</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        var sb = new StringBuilder(128);
        sb.Append(Source).Append(": line ").Append(Line.ToString(CultureInfo.InvariantCulture))
          .Append(", byte ").Append(BytePosition.ToString(CultureInfo.InvariantCulture)).Append(": ");
        if (Column is not null) sb.Append("column '").Append(Column).Append("' ");
        if (Value is not null) sb.Append("value \"").Append(Value).Append("\" ");
        if (Column is not null || Value is not null) sb.Length--;
        if (Column is not null || Value is not null) sb.Append(": ");
        return sb.Append(Reason).ToString();
    }
}
