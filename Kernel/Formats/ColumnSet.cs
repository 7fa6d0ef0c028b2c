using System.Runtime.CompilerServices;
using System.Text;

namespace Kernel.Formats;

/// <summary>
/// The columns of one generated CSV/JSON codec: each member's name and column name. A header or
/// JSON property matches a member when it equals the column name exactly, or — unless the name
/// came from <c>[Column]</c> — when it spells the member name ignoring ASCII case and underscores
/// (<c>price_cents</c>, <c>PriceCents</c>, <c>PRICE_CENTS</c> all match <c>PriceCents</c>).
/// </summary>
public sealed class ColumnSet
{
    private readonly string[] _memberNames;
    private readonly string[] _columnNames;
    private readonly byte[][] _memberUtf8;
    private readonly byte[][] _columnUtf8;
    private readonly bool[] _explicit;

    /// <summary>Creates the set; called once per generated codec.</summary>
    /// <param name="memberNames">The member names, in column order.</param>
    /// <param name="columnNames">The column names written by writers (<c>[Column]</c> or snake_case).</param>
    /// <param name="explicitNames">Whether each column name came from <c>[Column]</c> (then only it matches).</param>
    public ColumnSet(string[] memberNames, string[] columnNames, bool[] explicitNames)
    {
        ArgumentNullException.ThrowIfNull(memberNames);
        ArgumentNullException.ThrowIfNull(columnNames);
        ArgumentNullException.ThrowIfNull(explicitNames);
        if (columnNames.Length != memberNames.Length || explicitNames.Length != memberNames.Length)
            throw new ArgumentException("The member, column and explicit-name arrays must have the same length.", nameof(columnNames));
        _memberNames = memberNames;
        _columnNames = columnNames;
        _explicit = explicitNames;
        _memberUtf8 = Array.ConvertAll(memberNames, Encoding.UTF8.GetBytes);
        _columnUtf8 = Array.ConvertAll(columnNames, Encoding.UTF8.GetBytes);
        var order = new int[memberNames.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        DeclarationOrder = new CsvColumnMap(order, (string[])columnNames.Clone());
    }

    /// <summary>
    /// The map of a file without a header: one column per member, in declaration order (the
    /// order <c>Write</c> produces).
    /// </summary>
    public CsvColumnMap DeclarationOrder { get; }

    /// <summary>The number of members.</summary>
    public int Count => _memberNames.Length;

    /// <summary>The member name at <paramref name="index"/>.</summary>
    /// <param name="index">The member index.</param>
    /// <returns>The member name.</returns>
    public string MemberName(int index) => _memberNames[index];

    /// <summary>The column name at <paramref name="index"/>.</summary>
    /// <param name="index">The member index.</param>
    /// <returns>The column name.</returns>
    public string ColumnName(int index) => _columnNames[index];

    /// <summary>Finds the member a header field or JSON property name refers to.</summary>
    /// <param name="name">The UTF-8 name.</param>
    /// <returns>The member index, or -1 for an unknown name.</returns>
    public int Find(ReadOnlySpan<byte> name)
    {
        var columns = _columnUtf8;
        for (var i = 0; i < columns.Length; i++)
        {
            if (name.SequenceEqual(columns[i])) return i;
        }
        for (var i = 0; i < columns.Length; i++)
        {
            if (!_explicit[i] && LooseEquals(name, _memberUtf8[i])) return i;
        }
        return -1;
    }

    /// <summary>Maps a CSV header line to members; every member must appear once, unknown columns are skipped.</summary>
    /// <param name="header">The header line (a UTF-8 byte-order mark and a line terminator are allowed).</param>
    /// <param name="map">The map, when true.</param>
    /// <param name="error">What is wrong with the header, when false.</param>
    /// <returns>True when every member has exactly one column.</returns>
    public bool TryMapHeader(ReadOnlySpan<byte> header, out CsvColumnMap map, out FormatError error)
    {
        map = null!;
        error = default;
        if (header.StartsWith("\uFEFF"u8)) header = header[3..];
        var fields = new CsvFieldReader(header);
        var members = new List<int>();
        var names = new List<string>();
        var columnOf = new int[Count];
        Array.Fill(columnOf, -1);
        while (fields.TryNext(out var field))
        {
            var member = Find(field);
            var column = members.Count;
            if (member >= 0)
            {
                if (columnOf[member] >= 0)
                {
                    error = FormatError.Create(1, column, Encoding.UTF8.GetString(field), field,
                        $"maps to member '{_memberNames[member]}', already mapped by column {columnOf[member] + 1}");
                    return false;
                }
                columnOf[member] = column;
            }
            members.Add(member);
            names.Add(Encoding.UTF8.GetString(field));
        }
        for (var m = 0; m < columnOf.Length; m++)
        {
            if (columnOf[m] < 0)
            {
                // No position (the column is absent), but the name it should have, for the caller to show.
                error = new FormatError(1, -1, _columnNames[m], string.Empty,
                    $"the header has no column for member '{_memberNames[m]}' (write '{_columnNames[m]}')");
                return false;
            }
        }
        map = new CsvColumnMap(members.ToArray(), names.ToArray());
        return true;
    }

    /// <summary>Describes the first member whose bit is clear in <paramref name="seen"/> (JSON lines missing a property).</summary>
    /// <param name="line">The 1-based line number.</param>
    /// <param name="seen">Bit i set when member i was read.</param>
    /// <returns>The error.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public FormatError Missing(long line, ulong seen)
    {
        for (var m = 0; m < Count && m < 64; m++)
        {
            if ((seen & (1UL << m)) == 0) return MissingMember(line, m);
        }
        return new FormatError(line, -1, string.Empty, string.Empty, "is missing a property");
    }

    /// <summary>
    /// Describes member <paramref name="member"/> as missing from line <paramref name="line"/> (JSON lines missing a
    /// property): what <see cref="Missing"/> says of the first clear bit, for a member at any index (readers of more
    /// than 64 members keep one mask per 64 and name the first clear bit of a later mask through this).
    /// </summary>
    /// <param name="line">The 1-based line number.</param>
    /// <param name="member">The member's index.</param>
    /// <returns>The error.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public FormatError MissingMember(long line, int member)
    {
        if ((uint)member >= (uint)Count) FormatThrowHelper.ThrowMemberIndex(member, Count);
        return new(line, -1, _columnNames[member], string.Empty, $"has no property for member '{_memberNames[member]}' (write '{_columnNames[member]}')");
    }

    /// <summary>Builds the error for a value that does not parse (the failure path of generated readers).</summary>
    /// <param name="line">The 1-based line number.</param>
    /// <param name="position">The 0-based position of the field or property.</param>
    /// <param name="name">The UTF-8 column or property name.</param>
    /// <param name="value">The offending UTF-8 text.</param>
    /// <param name="reason">What was expected.</param>
    /// <returns>The error.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static FormatError Invalid(long line, int position, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, string reason)
        => FormatError.Create(line, position, Encoding.UTF8.GetString(name), value, reason);

    private static bool LooseEquals(ReadOnlySpan<byte> text, ReadOnlySpan<byte> member)
    {
        var j = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == (byte)'_' || c == (byte)'-' || c == (byte)' ') continue;
            if (j >= member.Length || (c | 0x20) != (member[j] | 0x20) || !char.IsAsciiLetterOrDigit((char)c)) return false;
            j++;
        }
        return j == member.Length;
    }
}
