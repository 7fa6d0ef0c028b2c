using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Kernel.Sources;

/// <summary>
/// Length-prefixed binary framing:
/// <code>
///  +----------------------+---------------------------+
///  | length: u32 LE (4 B) | payload (length bytes)    |   repeated to the end of input
///  +----------------------+---------------------------+
/// </code>
/// A frame's "line" is its number (first frame = 1). A length above the maximum record length is
/// a bad record whose payload is skipped without buffering; a frame cut short by the end of
/// input (a torn tail) is a bad record at the frame's byte offset.
/// </summary>
internal sealed partial class RecordReadLoop<T, TParser>
{
    private const int FrameHeaderLength = 4;

    /// <summary>Frames binary records until the batch is full or no complete frame is left; returns the bytes consumed.</summary>
    private long FrameBinary(in ReadOnlySequence<byte> buffer, bool isFinal)
    {
        long consumed = 0;
        var rest = buffer;
        while (_count < _limit && !rest.IsEmpty)
        {
            if (_discardRemaining > 0)
            {
                var skip = Math.Min(_discardRemaining, rest.Length);
                _discardRemaining -= skip;
                consumed += skip;
                rest = rest.Slice(skip);
                if (_discardRemaining == 0) _framedPosition = _bufferStart + consumed;
                continue;
            }
            // Fast path: whole frames inside the first segment.
            var span = rest.FirstSpan;
            var offset = 0;
            while (_count < _limit && span.Length - offset >= FrameHeaderLength)
            {
                var length = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(offset));
                if (length > (uint)_maxRecordLength || span.Length - offset - FrameHeaderLength < (int)length) break;
                var start = _bufferStart + consumed + offset;
                var end = start + FrameHeaderLength + length;
                _framedPosition = end;
                Parse(span.Slice(offset + FrameHeaderLength, (int)length), _line++, start, end);
                offset += FrameHeaderLength + (int)length;
            }
            consumed += offset;
            rest = rest.Slice(offset);
            if (_count >= _limit || rest.IsEmpty) break;
            if (!FrameSlowFrame(ref rest, ref consumed, isFinal)) break;
        }
        return consumed;
    }

    /// <summary>
    /// Frames the frame at <paramref name="rest"/> that the fast path could not: one that straddles
    /// segments, an over-long one, or a torn one at the end of input. Returns false when more
    /// input is needed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FrameSlowFrame(ref ReadOnlySequence<byte> rest, ref long consumed, bool isFinal)
    {
        var start = _bufferStart + consumed;
        if (rest.Length < FrameHeaderLength)
        {
            if (!isFinal) return false;
            var torn = (int)rest.Length;
            rest.CopyTo(_scratch);
            consumed += torn;
            rest = rest.Slice(rest.End);
            OnBadRecord(new BadRecord(_source, _line++, start, null, null,
                "torn frame: the input ends " + torn.ToString(CultureInfo.InvariantCulture)
                + " bytes into a 4-byte frame length"), _scratch.AsSpan(0, torn));
            return true;
        }
        Span<byte> header = stackalloc byte[FrameHeaderLength];
        rest.Slice(0, FrameHeaderLength).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length > (uint)_maxRecordLength)
        {
            consumed += FrameHeaderLength;
            rest = rest.Slice(FrameHeaderLength);
            _discardRemaining = length;
            OnBadRecord(new BadRecord(_source, _line++, start, null, null,
                "frame length " + length.ToString(CultureInfo.InvariantCulture) + " is above the maximum of "
                + _maxRecordLength.ToString(CultureInfo.InvariantCulture) + " bytes (MaxRecordLength); its payload is skipped"), header);
            return true;
        }
        var total = FrameHeaderLength + (long)length;
        if (rest.Length < total)
        {
            if (!isFinal) return false;
            var available = (int)rest.Length - FrameHeaderLength;
            rest.Slice(FrameHeaderLength).CopyTo(_scratch);
            consumed += rest.Length;
            rest = rest.Slice(rest.End);
            OnBadRecord(new BadRecord(_source, _line++, start, null, null,
                "torn frame: its length says " + length.ToString(CultureInfo.InvariantCulture) + " payload bytes but the input ends after "
                + available.ToString(CultureInfo.InvariantCulture)), _scratch.AsSpan(0, available));
            return true;
        }
        rest.Slice(FrameHeaderLength, length).CopyTo(_scratch);
        consumed += total;
        rest = rest.Slice(total);
        _framedPosition = start + total;
        Parse(_scratch.AsSpan(0, (int)length), _line++, start, start + total);
        return true;
    }
}
