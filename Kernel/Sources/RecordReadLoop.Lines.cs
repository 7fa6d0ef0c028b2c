using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Kernel.Sources;

/// <summary>Newline framing: LF or CRLF terminated records, a final record without a terminator.</summary>
internal sealed partial class RecordReadLoop<T, TParser>
{
    /// <summary>
    /// Frames lines from <paramref name="buffer"/> until the batch is full or no complete line is
    /// left, and returns the bytes consumed. Lines inside one segment are parsed straight from it;
    /// only a line that straddles segments is copied, into <c>_scratch</c>.
    /// </summary>
    private long FrameLines(in ReadOnlySequence<byte> buffer, bool isFinal)
    {
        long consumed = 0;
        var rest = buffer;
        while (_count < _limit && !rest.IsEmpty)
        {
            if (_discardingLine)
            {
                SkipOverLongTail(ref rest, ref consumed, isFinal);
                continue;
            }
            var span = rest.FirstSpan;
            var offset = 0;
            while (_count < _limit)
            {
                var lf = span.Slice(offset).IndexOf((byte)'\n');
                if (lf < 0) break;
                var start = _bufferStart + consumed + offset;
                OnLine(span.Slice(offset, lf), start, start + lf + 1);
                offset += lf + 1;
            }
            consumed += offset;
            rest = rest.Slice(offset);
            // Next segment (an empty first segment goes to the straddling path, which moves on).
            if (_count >= _limit || (offset == span.Length && offset != 0)) continue;
            // The next line starts in this segment and does not end in it.
            if (!FrameStraddlingLine(ref rest, ref consumed, isFinal)) break;
        }
        return consumed;
    }

    /// <summary>Skips the rest of an over-long line (already reported) up to and including its LF.</summary>
    private void SkipOverLongTail(ref ReadOnlySequence<byte> rest, ref long consumed, bool isFinal)
    {
        var lf = rest.PositionOf((byte)'\n');
        if (lf is null)
        {
            consumed += rest.Length;
            rest = rest.Slice(rest.End);
            if (isFinal)
            {
                // The input ends inside the line: it was the last one, and it is handled.
                _discardingLine = false;
                _line++;
                _framedPosition = _bufferStart + consumed;
            }
            return;
        }
        var skipped = rest.Slice(0, lf.Value).Length + 1;
        consumed += skipped;
        rest = rest.Slice(skipped);
        _discardingLine = false;
        _line++;
        _framedPosition = _bufferStart + consumed;
    }

    /// <summary>
    /// Frames the one line that starts at <paramref name="rest"/> and has no terminator in the
    /// first segment: copies it into the scratch buffer, reports it as over-long once it exceeds
    /// the maximum (then skips to its terminator without buffering), or takes the final
    /// unterminated line at the end of input. Returns false when more input is needed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FrameStraddlingLine(ref ReadOnlySequence<byte> rest, ref long consumed, bool isFinal)
    {
        var start = _bufferStart + consumed;
        // Content, an optional CR and the LF: a longer window cannot hold an acceptable line.
        var window = rest.Slice(0, Math.Min(rest.Length, _maxRecordLength + 2L));
        var lf = window.PositionOf((byte)'\n');
        if (lf is null)
        {
            if (rest.Length > _maxRecordLength + 1L)
            {
                window.Slice(0, _maxRecordLength).CopyTo(_scratch);
                // The line may end further on in what is buffered; if not, skip to its end as it arrives.
                var end = rest.Slice(window.End).PositionOf((byte)'\n');
                if (end is null)
                {
                    var line = _line;
                    consumed += rest.Length;
                    rest = rest.Slice(rest.End);
                    _headerPending = false;
                    if (isFinal)
                    {
                        // The input ends inside the line: it was the last one.
                        _line++;
                        _framedPosition = _bufferStart + consumed;
                    }
                    else
                    {
                        // _framedPosition stays before this line until its end: a resume must not land inside it.
                        _discardingLine = true;
                    }
                    OnOverLongLine(_scratch.AsSpan(0, _maxRecordLength), line, start);
                    return true;
                }
                var skipped = rest.Slice(0, end.Value).Length + 1;
                consumed += skipped;
                rest = rest.Slice(skipped);
                var number = _line++;
                _framedPosition = start + skipped;
                _headerPending = false;
                OnOverLongLine(_scratch.AsSpan(0, _maxRecordLength), number, start);
                return true;
            }
            if (!isFinal) return false;
            var last = (int)rest.Length;
            rest.CopyTo(_scratch);
            consumed += last;
            rest = rest.Slice(rest.End);
            OnLine(_scratch.AsSpan(0, last), start, start + last);
            return true;
        }
        var length = (int)window.Slice(0, lf.Value).Length;
        window.Slice(0, length).CopyTo(_scratch);
        consumed += length + 1;
        rest = rest.Slice(length + 1);
        OnLine(_scratch.AsSpan(0, length), start, start + length + 1);
        return true;
    }

    /// <summary>Handles one framed line (without its LF): the header, an empty line or a record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnLine(ReadOnlySpan<byte> line, long start, long end)
    {
        var number = _line++;
        _framedPosition = end;
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        if (line.Length > _maxRecordLength)
        {
            _headerPending = false;
            OnOverLongLine(line[.._maxRecordLength], number, start);
            return;
        }
        if (_headerPending)
        {
            _headerPending = false;
            OnHeader(line, number, start);
            return;
        }
        // Empty lines separate nothing in CSV or JSON lines: they are lines, not records.
        if (line.IsEmpty) return;
        Parse(line, number, start, end);
    }

    /// <summary>Hands the header to the parser; a header it rejects stops the source whatever the policy.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnHeader(ReadOnlySpan<byte> line, long number, long start)
    {
        _parser.ParseHeader(line);
        if (!_parser.TryGetHeaderError(out var error)) return;
        var record = new BadRecord(_source, number, start, error.Column, error.Value, error.Reason ?? "the parser rejected the header");
        _progress.AddBad(record);
        // Resume at the header: nothing after it has been handled.
        _framedPosition = start;
        _failure = record;
        _limit = -1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnOverLongLine(ReadOnlySpan<byte> prefix, long line, long start) =>
        OnBadRecord(new BadRecord(_source, line, start, null, null,
            "record is longer than the maximum of " + _maxRecordLength.ToString(CultureInfo.InvariantCulture)
            + " bytes (MaxRecordLength); its first " + prefix.Length.ToString(CultureInfo.InvariantCulture) + " bytes are kept"), prefix);
}
