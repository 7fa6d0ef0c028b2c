using System.Buffers;
using System.IO.Pipelines;

namespace Kernel.Tests.Sources.Support;

/// <summary>
/// A pipe reader over fixed bytes cut into segments of <c>chunk</c> bytes, revealed one segment
/// at a time: a new segment appears only after the consumer examined everything it had. So every
/// record boundary falls at every possible place relative to segment ends and read boundaries.
/// </summary>
public sealed class SegmentedPipeReader : PipeReader
{
    private readonly ReadOnlySequence<byte> _all;
    private readonly long[] _chunkEnds;
    private int _revealed;
    private long _consumed;
    private bool _examinedAll = true;

    /// <param name="data">The whole input.</param>
    /// <param name="chunk">Bytes per segment.</param>
    /// <param name="emptySegments">True to put an empty segment after every segment (legal in a sequence, and a trap for framing loops).</param>
    public SegmentedPipeReader(byte[] data, int chunk, bool emptySegments = false)
    {
        var count = (data.Length + chunk - 1) / chunk;
        _chunkEnds = new long[count];
        Chunk? first = null, last = null;
        for (var i = 0; i < count; i++)
        {
            var start = i * chunk;
            var length = Math.Min(chunk, data.Length - start);
            var memory = data.AsMemory(start, length).ToArray();
            last = last is null ? (first = new Chunk(memory, 0)) : last.Append(memory);
            if (emptySegments) last = last.Append(ReadOnlyMemory<byte>.Empty);
            _chunkEnds[i] = start + length;
        }
        _all = first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    public bool Completed { get; private set; }

    private long Visible => _revealed == 0 ? 0 : _chunkEnds[_revealed - 1];

    private ReadResult Current() =>
        new(_all.Slice(_consumed, Visible - _consumed), isCanceled: false, isCompleted: _revealed == _chunkEnds.Length);

    public override bool TryRead(out ReadResult result)
    {
        if (_examinedAll && _revealed < _chunkEnds.Length)
        {
            result = default;
            return false;
        }
        result = Current();
        return true;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_examinedAll && _revealed < _chunkEnds.Length) _revealed++;
        _examinedAll = false;
        return new ValueTask<ReadResult>(Current());
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _consumed = _all.Slice(0, consumed).Length;
        _examinedAll = _all.Slice(0, examined).Length == Visible;
    }

    public override void CancelPendingRead() => throw new NotSupportedException();

    public override void Complete(Exception? exception = null) => Completed = true;

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Chunk Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Chunk(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
