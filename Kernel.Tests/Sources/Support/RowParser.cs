using System.Buffers.Text;
using System.Text;
using Kernel.Sources;

namespace Kernel.Tests.Sources.Support;

/// <summary>
/// A hand-written parser for the 3-column CSV <c>id,qty,price</c> of signed integers, the shape
/// the generated CSV readers will be adapted to. Allocation-free on good records.
/// </summary>
public struct RowParser : IRecordParser<Row>
{
    private static readonly string[] s_columns = ["id", "qty", "price"];
    private readonly List<string>? _headers;

    /// <summary>
    /// Records every header it is handed into <paramref name="headers"/>. Copies of this parser on
    /// concurrent connections (the TCP source) share the list, so adds take its lock.
    /// </summary>
    public RowParser(List<string> headers) => _headers = headers;

    public void ParseHeader(ReadOnlySpan<byte> header)
    {
        if (_headers is null) return;
        var text = Encoding.UTF8.GetString(header);
        lock (_headers) _headers.Add(text);
    }

    // Implemented, not inherited: the interface's default would box this struct once per header.
    public readonly bool TryGetHeaderError(out RecordError error)
    {
        error = default;
        return false;
    }

    public bool TryParse(ReadOnlySpan<byte> record, out Row value, out RecordError error)
    {
        value = default;
        error = default;
        Span<long> values = stackalloc long[3];
        var rest = record;
        for (var i = 0; i < 3; i++)
        {
            var comma = rest.IndexOf((byte)',');
            ReadOnlySpan<byte> field;
            var missingNext = false;
            if (i < 2)
            {
                missingNext = comma < 0;
                field = missingNext ? rest : rest[..comma];
                rest = missingNext ? default : rest[(comma + 1)..];
            }
            else
            {
                if (comma >= 0)
                {
                    error = RecordError.Create(null, rest[(comma + 1)..], "more than 3 columns");
                    return false;
                }
                field = rest;
            }
            if (!Utf8Parser.TryParse(field, out values[i], out var used) || used != field.Length)
            {
                error = RecordError.Create(s_columns[i], field, "not an integer");
                return false;
            }
            if (missingNext)
            {
                error = new RecordError(s_columns[i + 1], null, "missing column");
                return false;
            }
        }
        value = new Row(values[0], values[1], values[2]);
        return true;
    }
}
