using System.Runtime.CompilerServices;

namespace Kernel.Formats;

/// <summary>
/// Splits one UTF-8 CSV line into fields without copying. A trailing <c>\r</c> is dropped; a
/// field wrapped in double quotes is returned without them (a doubled quote inside stays
/// doubled: event members are numbers, booleans and times, which never contain quotes).
/// </summary>
public ref struct CsvFieldReader
{
    private ReadOnlySpan<byte> _rest;
    private bool _done;

    /// <summary>Starts reading <paramref name="line"/>.</summary>
    /// <param name="line">One line, with or without its line terminator.</param>
    public CsvFieldReader(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\n') line = line[..^1];
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        _rest = line;
        _done = false;
    }

    /// <summary>Reads the next field; false after the last one.</summary>
    /// <param name="field">The field's bytes, quotes removed.</param>
    /// <returns>True when a field was read.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNext(out ReadOnlySpan<byte> field)
    {
        if (_done)
        {
            field = default;
            return false;
        }
        if (!_rest.IsEmpty && _rest[0] == (byte)'"') return TryNextQuoted(out field);
        var comma = _rest.IndexOf((byte)',');
        if (comma < 0)
        {
            field = _rest;
            _done = true;
            return true;
        }
        field = _rest[..comma];
        _rest = _rest[(comma + 1)..];
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryNextQuoted(out ReadOnlySpan<byte> field)
    {
        // Find the closing quote, stepping over doubled quotes.
        var i = 1;
        while (true)
        {
            var q = _rest[i..].IndexOf((byte)'"');
            if (q < 0)
            {
                // Unterminated: hand back everything; the value parser rejects it.
                field = _rest;
                _done = true;
                return true;
            }
            i += q;
            if (i + 1 < _rest.Length && _rest[i + 1] == (byte)'"')
            {
                i += 2;
                continue;
            }
            break;
        }
        var after = _rest[(i + 1)..];
        if (after.IsEmpty || after[0] == (byte)',')
        {
            field = _rest[1..i];
            _done = after.IsEmpty;
            _rest = _done ? default : after[1..];
            return true;
        }
        // Text after the closing quote: hand back the raw field so the value parser rejects it.
        var comma = _rest.IndexOf((byte)',');
        field = comma < 0 ? _rest : _rest[..comma];
        _done = comma < 0;
        _rest = _done ? default : _rest[(comma + 1)..];
        return true;
    }
}
