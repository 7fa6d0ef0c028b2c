namespace Kernel.Formats;

/// <summary>
/// Splits a UTF-8 buffer into lines (on <c>\n</c>; a preceding <c>\r</c> is dropped) and counts
/// them from 1, for feeding generated readers and naming lines in their errors.
/// </summary>
public ref struct Utf8LineReader
{
    private ReadOnlySpan<byte> _rest;

    /// <summary>Starts reading <paramref name="text"/>.</summary>
    /// <param name="text">The UTF-8 text.</param>
    public Utf8LineReader(ReadOnlySpan<byte> text)
    {
        _rest = text;
        LineNumber = 0;
    }

    /// <summary>The 1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Reads the next line; a final line without a terminator counts, an empty remainder does not.</summary>
    /// <param name="line">The line without its terminator.</param>
    /// <returns>False at the end of the text.</returns>
    public bool TryNext(out ReadOnlySpan<byte> line)
    {
        if (_rest.IsEmpty)
        {
            line = default;
            return false;
        }
        var nl = _rest.IndexOf((byte)'\n');
        if (nl < 0)
        {
            line = _rest;
            _rest = default;
        }
        else
        {
            line = _rest[..nl];
            _rest = _rest[(nl + 1)..];
        }
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        LineNumber++;
        return true;
    }
}
