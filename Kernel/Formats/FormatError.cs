using System.Runtime.CompilerServices;
using Kernel.Sources;

namespace Kernel.Formats;

/// <summary>
/// Why a line of CSV or JSON lines could not be read: the 1-based line number, the column (its
/// 0-based position and its name as written in the header or the JSON property), the offending
/// value and the reason. Built only on the failure path.
/// </summary>
/// <param name="Line">The 1-based line number the caller passed in.</param>
/// <param name="ColumnIndex">The 0-based CSV column or JSON property position; -1 when the error is about the whole line.</param>
/// <param name="ColumnName">The column name from the header or JSON (for a column missing from a header, the name expected); empty when unknown.</param>
/// <param name="Value">The offending text (cut to 64 characters); empty when there is none.</param>
/// <param name="Reason">What was expected.</param>
public readonly record struct FormatError(long Line, int ColumnIndex, string ColumnName, string Value, string Reason)
{
    private const int MaxValueLength = 64;

    /// <summary>Builds an error from raw UTF-8 bytes, decoding (and cutting) the value only now.</summary>
    /// <param name="line">The 1-based line number.</param>
    /// <param name="columnIndex">The 0-based column or property position, or -1.</param>
    /// <param name="columnName">The column name, or empty.</param>
    /// <param name="value">The offending UTF-8 text.</param>
    /// <param name="reason">What was expected.</param>
    /// <returns>The error.</returns>
    public static FormatError Create(long line, int columnIndex, string columnName, ReadOnlySpan<byte> value, string reason)
    {
        var cut = value.Length > MaxValueLength ? value[..MaxValueLength] : value;
        var text = System.Text.Encoding.UTF8.GetString(cut);
        if (cut.Length < value.Length) text += "…";
        return new FormatError(line, columnIndex, columnName, text, reason);
    }

    /// <summary>
    /// The error as a source's <see cref="RecordError"/>: the column name and value,
    /// and the reason (a whole-line reason gets "the record" as its subject). The line is left
    /// out: the source knows it, with the file and the byte position.
    /// </summary>
    /// <returns>The record error.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public RecordError ToRecordError()
    {
        if (Reason is null) return default;
        var column = string.IsNullOrEmpty(ColumnName) ? null : ColumnName;
        if (ColumnIndex >= 0) return new RecordError(column, Value ?? string.Empty, Reason);
        // Header reasons already name their subject ("the header has no column …").
        var reason = Reason.StartsWith("the ", StringComparison.Ordinal) ? Reason : "the record " + Reason;
        return new RecordError(column, string.IsNullOrEmpty(Value) ? null : Value, reason);
    }

    /// <summary>The error as one sentence: <c>line 12, column 3 'price_cents': 'abc' is not an integer</c>.</summary>
    /// <returns>The message.</returns>
    public override string ToString()
    {
        // default(FormatError) is what a successful read leaves behind; it must still print.
        if (Reason is null) return "no error";
        var where = ColumnIndex < 0
            ? $"line {Line}"
            : $"line {Line}, column {ColumnIndex + 1} '{ColumnName}'";
        return string.IsNullOrEmpty(Value) && ColumnIndex < 0
            ? $"{where}: {Reason}"
            : $"{where}: '{Value}' {Reason}";
    }
}
