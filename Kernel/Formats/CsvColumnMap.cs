using System.Runtime.CompilerServices;
using System.Text;

namespace Kernel.Formats;

/// <summary>
/// Which member each column of a CSV file holds, built once from the header by a generated
/// codec's <c>ParseHeader</c>; reading a line then costs no lookup by name.
/// </summary>
public sealed class CsvColumnMap
{
    private readonly int[] _memberOfColumn;
    private readonly string[] _names;

    internal CsvColumnMap(int[] memberOfColumn, string[] names)
    {
        _memberOfColumn = memberOfColumn;
        _names = names;
    }

    /// <summary>The number of columns in the header; every line must have as many fields.</summary>
    public int ColumnCount => _memberOfColumn.Length;

    /// <summary>The member index a column holds, or -1 for a column no member reads.</summary>
    /// <param name="column">The 0-based column.</param>
    /// <returns>The member index or -1.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int MemberAt(int column) => (uint)column < (uint)_memberOfColumn.Length ? _memberOfColumn[column] : -1;

    /// <summary>The column's name as written in the header.</summary>
    /// <param name="column">The 0-based column.</param>
    /// <returns>The name.</returns>
    public string NameAt(int column) => (uint)column < (uint)_names.Length ? _names[column] : string.Empty;

    /// <summary>Builds the error for a field that does not parse (the failure path of generated readers).</summary>
    /// <param name="line">The 1-based line number.</param>
    /// <param name="column">The 0-based column.</param>
    /// <param name="value">The offending UTF-8 text.</param>
    /// <param name="reason">What was expected.</param>
    /// <returns>The error.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public FormatError Invalid(long line, int column, ReadOnlySpan<byte> value, string reason)
        => FormatError.Create(line, column, NameAt(column), value, reason);

    /// <summary>Builds the error for a line with the wrong number of fields.</summary>
    /// <param name="line">The 1-based line number.</param>
    /// <param name="fields">The number of fields found (at least, when there were too many).</param>
    /// <returns>The error.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public FormatError WrongFieldCount(long line, int fields)
        => new(line, -1, string.Empty, string.Empty,
            fields > ColumnCount
                ? $"has more than the header's {ColumnCount} fields"
                : $"has {fields} fields, the header has {ColumnCount}");

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < _names.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(_names[i]).Append("→").Append(_memberOfColumn[i]);
        }
        return sb.ToString();
    }
}
