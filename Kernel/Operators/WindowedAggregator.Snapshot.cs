using System.Buffers;
using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Operators;

// Operator snapshot format, version 1 (little-endian). The whole state of a tumbling or sliding
// windowed aggregation: watermark state, counters, the panes not fired yet and the fired windows
// still inside their allowed lateness, each with its key table as a StateTable snapshot.
//
//  offset  size  field
//  +0      4     magic "KWAG"
//  +4      2     version (1)
//  +6      2     reserved (0)
//  +8      8     state fingerprint (TSpec.StateFingerprint)
//  +16     8     combined watermark
//  +24     8     start of the next window to fire (long.MaxValue: none)
//  +32     8     events seen
//  +40     8     late events
//  +48     8     rows emitted
//  +56     4     source count (S)
//  +60     4     pane count (P)
//  +64     4     fired-window count (F)
//  +68     S×16  per source: max event time (i64), tracker watermark (i64)
//  ...     (P+F)× bucket: start (i64), end (i64), table length (i32), StateTable snapshot ("KSTB")
//  end−4   4     CRC-32C of every byte before it
//
// Processing-time state (idleness, periodic watermark and emit ticks) is not saved: a restored
// operator starts with every source active, as a freshly started one does.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> : ISnapshotOperator
{
    private const uint SnapshotMagic = 0x4741574B; // "KWAG"
    private const ushort SnapshotVersion = 1;
    private const int SnapshotHeaderSize = 68;

    /// <inheritdoc />
    public string AggregationName => TSpec.Name;

    /// <inheritdoc />
    public ulong StateFingerprint => TSpec.StateFingerprint;

    /// <summary>
    /// Writes the operator's complete state (see the layout above) to <paramref name="output"/>.
    /// Call it on the operator's thread, between batches (a barrier's control listener is such a place).
    /// </summary>
    /// <exception cref="NotSupportedException">The operator runs session windows (not snapshotted yet).</exception>
    public int WriteSnapshot(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_session) ThrowSessionsUnsupported();
        var body = new ArrayBufferWriter<byte>(1024);
        var sources = _maxEventTime.Length;
        var header = body.GetSpan(SnapshotHeaderSize + sources * 16);
        BinaryPrimitives.WriteUInt32LittleEndian(header, SnapshotMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], SnapshotVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], TSpec.StateFingerprint);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], _watermark);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], _nextFireStart);
        BinaryPrimitives.WriteInt64LittleEndian(header[32..], _eventsSeen);
        BinaryPrimitives.WriteInt64LittleEndian(header[40..], _lateEvents);
        BinaryPrimitives.WriteInt64LittleEndian(header[48..], _rowsEmitted);
        BinaryPrimitives.WriteInt32LittleEndian(header[56..], sources);
        BinaryPrimitives.WriteInt32LittleEndian(header[60..], _paneCount);
        BinaryPrimitives.WriteInt32LittleEndian(header[64..], _firedCount);
        for (var s = 0; s < sources; s++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(header[(SnapshotHeaderSize + s * 16)..], _maxEventTime[s]);
            BinaryPrimitives.WriteInt64LittleEndian(header[(SnapshotHeaderSize + s * 16 + 8)..], _tracker.WatermarkOf(s));
        }
        body.Advance(SnapshotHeaderSize + sources * 16);
        for (var i = 0; i < _paneCount; i++) WriteBucket(body, _panes[i]);
        for (var i = 0; i < _firedCount; i++) WriteBucket(body, _fired[i]);
        var crc = Crc32C.Compute(body.WrittenSpan);
        var total = body.WrittenCount + 4;
        var span = output.GetSpan(total);
        body.WrittenSpan.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[body.WrittenCount..], crc);
        output.Advance(total);
        return total;
    }

    /// <summary>
    /// Replaces the operator's state with <paramref name="snapshot"/>. Call it before the operator
    /// processes anything (recovery), on the thread that will own it.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an operator snapshot, are damaged, or
    /// were written under another state fingerprint or source count (the message names the aggregation and the offset).</exception>
    /// <exception cref="NotSupportedException">The operator runs session windows.</exception>
    public void RestoreSnapshot(ReadOnlySpan<byte> snapshot)
    {
        if (_session) ThrowSessionsUnsupported();
        if (snapshot.Length < SnapshotHeaderSize + 4) ThrowBadSnapshot(0, $"{snapshot.Length} bytes is shorter than the {SnapshotHeaderSize + 4}-byte minimum");
        if (BinaryPrimitives.ReadUInt32LittleEndian(snapshot) != SnapshotMagic) ThrowBadSnapshot(0, "magic is not \"KWAG\"");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(snapshot[4..]);
        if (version != SnapshotVersion) ThrowBadSnapshot(4, $"version {version} is not supported (expected {SnapshotVersion})");
        var bodyEnd = snapshot.Length - 4;
        if (BinaryPrimitives.ReadUInt32LittleEndian(snapshot[bodyEnd..]) != Crc32C.Compute(snapshot[..bodyEnd]))
            ThrowBadSnapshot(bodyEnd, "CRC-32C does not match the content");
        var fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(snapshot[8..]);
        if (fingerprint != TSpec.StateFingerprint)
            ThrowBadSnapshot(8, $"state fingerprint 0x{fingerprint:X16} differs from this build's 0x{TSpec.StateFingerprint:X16} (the aggregation's state schema changed)");
        var sources = BinaryPrimitives.ReadInt32LittleEndian(snapshot[56..]);
        if (sources != _maxEventTime.Length) ThrowBadSnapshot(56, $"source count {sources} differs from the operator's {_maxEventTime.Length}");
        var panes = BinaryPrimitives.ReadInt32LittleEndian(snapshot[60..]);
        var fired = BinaryPrimitives.ReadInt32LittleEndian(snapshot[64..]);
        if (panes < 0 || fired < 0) ThrowBadSnapshot(60, $"bucket counts {panes} and {fired} must not be negative");
        var at = SnapshotHeaderSize + sources * 16;
        if (at > bodyEnd) ThrowBadSnapshot(56, $"{sources} sources run past the end");

        ClearBuckets();
        for (var s = 0; s < sources; s++)
        {
            _maxEventTime[s] = BinaryPrimitives.ReadInt64LittleEndian(snapshot[(SnapshotHeaderSize + s * 16)..]);
            _tracker.Advance(s, BinaryPrimitives.ReadInt64LittleEndian(snapshot[(SnapshotHeaderSize + s * 16 + 8)..]));
        }
        for (var i = 0; i < panes + fired; i++)
        {
            if (at + 20 > bodyEnd) ThrowBadSnapshot(at, $"bucket {i} of {panes + fired} runs past the end");
            var start = BinaryPrimitives.ReadInt64LittleEndian(snapshot[at..]);
            var end = BinaryPrimitives.ReadInt64LittleEndian(snapshot[(at + 8)..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 16)..]);
            at += 20;
            if (length < 0 || at + length > bodyEnd) ThrowBadSnapshot(at - 4, $"bucket {i}'s table length {length} runs past the end");
            var bucket = Rent(start, end);
            bucket.Table.Restore(snapshot.Slice(at, length));
            at += length;
            if (i < panes) Insert(ref _panes, ref _paneCount, _paneCount, bucket);
            else Insert(ref _fired, ref _firedCount, _firedCount, bucket);
        }
        if (at != bodyEnd) ThrowBadSnapshot(at, $"{bodyEnd - at} bytes follow the last bucket");
        _watermark = BinaryPrimitives.ReadInt64LittleEndian(snapshot[16..]);
        _nextFireStart = BinaryPrimitives.ReadInt64LittleEndian(snapshot[24..]);
        _eventsSeen = BinaryPrimitives.ReadInt64LittleEndian(snapshot[32..]);
        _lateEvents = BinaryPrimitives.ReadInt64LittleEndian(snapshot[40..]);
        _rowsEmitted = BinaryPrimitives.ReadInt64LittleEndian(snapshot[48..]);
        _lastPane = null;
        UpdateNextTimer();
    }

    private static void WriteBucket(ArrayBufferWriter<byte> body, WindowBucket<TKey, TState, Hasher> bucket)
    {
        var header = body.GetSpan(20);
        BinaryPrimitives.WriteInt64LittleEndian(header, bucket.Start);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], bucket.End);
        body.Advance(20);
        var lengthAt = body.WrittenCount - 4;
        var length = bucket.Table.WriteSnapshot(body, State.SnapshotScope.Full);
        // The length slot was reserved before the table wrote; patch it now that it is known.
        BinaryPrimitives.WriteInt32LittleEndian(System.Runtime.InteropServices.MemoryMarshal.AsMemory(body.WrittenMemory).Span[lengthAt..], length);
    }

    private void ClearBuckets()
    {
        ResetStacks();
        while (_paneCount > 0) Return(RemoveAt(_panes, ref _paneCount, _paneCount - 1));
        while (_firedCount > 0) Return(RemoveAt(_fired, ref _firedCount, _firedCount - 1));
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowBadSnapshot(int offset, string reason) =>
        throw new InvalidDataException($"operator snapshot of aggregation '{TSpec.Name}' at offset {offset}: {reason}");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowSessionsUnsupported() =>
        throw new NotSupportedException($"aggregation '{TSpec.Name}': snapshots of session windows are not supported yet; only tumbling and sliding windows are checkpointed");
}
