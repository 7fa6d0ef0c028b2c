using System.Runtime.CompilerServices;

namespace Kernel.Formats;

/// <summary>
/// Reads the properties of one flat JSON object (one line of JSON lines) without copying:
/// <c>{"order_id":1,"price_cents":250,"timestamp_ms":"2028-02-29T23:59:59.999Z"}</c>. Values are
/// numbers, strings (returned without quotes, escapes left as written), <c>true</c>,
/// <c>false</c> and <c>null</c>; nested objects and arrays are rejected. Malformed input stops
/// the reader with <see cref="Failed"/> set — it never throws.
/// </summary>
public ref struct JsonLineReader
{
    private readonly ReadOnlySpan<byte> _line;
    private int _pos;
    private int _state; // 0 = before '{', 1 = first property, 2 = after a property, 3 = done
    private string? _failure;
    private int _failurePos;

    /// <summary>Starts reading <paramref name="line"/>.</summary>
    /// <param name="line">One JSON object, with or without its line terminator.</param>
    public JsonLineReader(ReadOnlySpan<byte> line)
    {
        _line = line;
        _pos = 0;
        _state = 0;
        _failure = null;
        _failurePos = 0;
    }

    /// <summary>True when the line was malformed; <see cref="Error"/> says where.</summary>
    public readonly bool Failed => _failure is not null;

    /// <summary>Reads the next property; false at the end of the object or on malformed input.</summary>
    /// <param name="name">The property name (without quotes).</param>
    /// <param name="value">The value text (strings without their quotes).</param>
    /// <param name="isString">Whether the value was a JSON string.</param>
    /// <returns>True when a property was read.</returns>
    public bool TryReadProperty(out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value, out bool isString)
    {
        name = default;
        value = default;
        isString = false;
        if (_state == 3 || _failure is not null) return false;
        SkipSpace();
        if (_state == 0)
        {
            if (!Expect((byte)'{', "must start with '{'")) return false;
            _state = 1;
            SkipSpace();
            if (Peek() == (byte)'}') return Finish();
        }
        else
        {
            if (Peek() == (byte)'}') return Finish();
            if (!Expect((byte)',', "needs ',' or '}' between properties")) return false;
            SkipSpace();
        }
        if (Peek() != (byte)'"') return Fail("needs a quoted property name");
        if (!TryString(out name)) return false;
        SkipSpace();
        if (!Expect((byte)':', "needs ':' after a property name")) return false;
        SkipSpace();
        var c = Peek();
        if (c == (byte)'"')
        {
            isString = true;
            if (!TryString(out value)) return false;
        }
        else if (c == (byte)'{' || c == (byte)'[')
        {
            return Fail("has a nested object or array; only flat objects are read");
        }
        else
        {
            var start = _pos;
            while (_pos < _line.Length && !IsDelimiter(_line[_pos])) _pos++;
            if (_pos == start) return Fail("has a property without a value");
            value = _line[start.._pos];
        }
        _state = 2;
        return true;
    }

    /// <summary>The error for a malformed line (valid only when <see cref="Failed"/>).</summary>
    /// <param name="line">The 1-based line number.</param>
    /// <returns>The error, naming the byte position and the text there.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public readonly FormatError Error(long line)
    {
        var at = Math.Min(_failurePos, _line.Length);
        var rest = _line[at..];
        return FormatError.Create(line, -1, string.Empty, default, $"is not a flat JSON object: at byte {at + 1} it {_failure} (found '{System.Text.Encoding.UTF8.GetString(rest[..Math.Min(rest.Length, 16)])}')");
    }

    private bool Finish()
    {
        _pos++;
        SkipSpace();
        if (_pos != _line.Length) return Fail("has text after the closing '}'");
        _state = 3;
        return false;
    }

    private bool TryString(out ReadOnlySpan<byte> text)
    {
        var start = ++_pos;
        while (_pos < _line.Length)
        {
            var c = _line[_pos];
            if (c == (byte)'\\')
            {
                _pos += 2;
                continue;
            }
            if (c == (byte)'"')
            {
                text = _line[start.._pos];
                _pos++;
                return true;
            }
            _pos++;
        }
        text = default;
        _pos = start - 1;
        return Fail("has an unterminated string");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly byte Peek() => _pos < _line.Length ? _line[_pos] : (byte)0;

    private bool Expect(byte c, string reason)
    {
        if (Peek() != c) return Fail(reason);
        _pos++;
        return true;
    }

    private void SkipSpace()
    {
        while (_pos < _line.Length && _line[_pos] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') _pos++;
    }

    private static bool IsDelimiter(byte c) => c is (byte)',' or (byte)'}' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private bool Fail(string reason)
    {
        _failure = reason;
        _failurePos = _pos;
        return false;
    }
}
