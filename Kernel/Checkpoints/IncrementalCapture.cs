using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Storage.Lsm;

namespace Kernel.Checkpoints;

/// <summary>
/// What an operator hands an incremental checkpoint at a barrier, in two steps on two threads:
/// <list type="number">
/// <item>On the operator's thread (the pause): <see cref="ReserveEntries"/>, <see cref="DeleteKeys"/> and <see cref="DeleteBucket"/> — raw copies of the changed
/// entries (the table's own entry structs, byte for byte), removed keys and window deletes, appended to
/// one flat, reused buffer, plus the small metadata (watermarks, counters, the window list).</item>
/// <item>Off the hot path: <see cref="Encode"/> turns the raw copies into LSM operations (keys in
/// <see cref="IncrementalKeys"/>, values as the snapshot format's entry tail) in <see cref="Batch"/>,
/// which the participant applies atomically.</item>
/// </list>
/// Reused: a participant keeps the captures whose write finished and resets one for each barrier, so
/// a steady stream of checkpoints allocates nothing on the operator's thread once the buffers have
/// grown to the dirty set.
/// </summary>
internal sealed class IncrementalCapture
{
    private const int InitialRawBytes = 64 << 10;
    private const int PageBytes = 4096;

    private readonly byte[] _prefix;
    private byte[] _key = new byte[64];
    private byte[] _value = new byte[64];
    private byte[] _raw = Touched(InitialRawBytes);
    private int _rawLength;
    private Segment[] _segments = new Segment[16];
    private int _segmentCount;
    private EntryLayout _layout;
    private long _steadyHighWater;

    public IncrementalCapture(byte[] prefix)
    {
        _prefix = prefix;
        prefix.CopyTo(_key, 0);
    }

    /// <summary>The LSM operations of this capture (after <see cref="Encode"/>).</summary>
    public WriteBatch Batch { get; private set; } = new(64 << 10);

    /// <summary>The operator's metadata file (formats: <c>WindowedAggregator.Incremental.cs</c>, <c>KeyedAggregator.Incremental.cs</c>).</summary>
    public ArrayBufferWriter<byte> Metadata { get; } = new(4096);

    /// <summary>The checkpoint this capture belongs to.</summary>
    public long CheckpointId { get; private set; }

    /// <summary>The checkpoint whose capture this one follows (its changes are relative to it); −1 for a full capture.</summary>
    public long PreviousId { get; private set; }

    /// <summary>True when the capture starts by deleting everything (it does not depend on the store's content).</summary>
    public bool Full { get; private set; }

    /// <summary>Entries captured (keys written).</summary>
    public long Keys { get; private set; }

    /// <summary>Bytes of keys and values handed to the store (after <see cref="Encode"/>).</summary>
    public long Bytes { get; private set; }

    /// <summary>The time the operator's thread spent capturing (with the epoch seals): the checkpoint's pause.</summary>
    public TimeSpan Pause { get; set; }

    /// <summary>Bytes of the raw buffer in use (tests and diagnostics).</summary>
    internal int RawLength => _rawLength;

    /// <summary>The raw copies of the current capture (tests).</summary>
    internal ReadOnlySpan<byte> RawWritten => _raw.AsSpan(0, _rawLength);

    /// <summary>Bytes the raw buffer holds (tests: growth and trimming).</summary>
    internal int RawCapacity => _raw.Length;

    /// <summary>
    /// Stores into every page of the raw buffer that the next barrier is expected to fill (the larger
    /// of the last capture and the largest delta seen), from a thread other than the operator's, just
    /// before the barrier is injected. The buffer is written once per barrier and sits unused between
    /// two of them; on a VM with shadow paging its pages can lose their mappings in between, and the
    /// operator's first store into each then costs 4–8 µs: over the ~220 pages of a 10k-entry delta,
    /// 1–2 ms of pause. A store from this thread maps them again.
    /// </summary>
    /// <remarks>
    /// Safe while the operator's thread copies into the same buffer (it should not, but a barrier
    /// injected without a reservation could): each store is an atomic OR of 0, which leaves every byte
    /// as it is and cannot lose a concurrent write. Another thread may replace the buffer
    /// (<see cref="TrimAfterWrite"/>, growth at a barrier); touching the old one is then harmless.
    /// </remarks>
    /// <returns>The bytes from the buffer's start whose pages were touched.</returns>
    public int Prefault()
    {
        var raw = _raw;
        var bytes = (int)Math.Min(raw.Length, Math.Max(Volatile.Read(ref _rawLength), Volatile.Read(ref _steadyHighWater)) + PageBytes);
        var words = MemoryMarshal.Cast<byte, int>(raw.AsSpan(0, bytes & ~3));
        for (var i = 0; i < words.Length; i += PageBytes / sizeof(int)) Interlocked.Or(ref words[i], 0);
        return bytes;
    }

    /// <summary>Empties the capture for barrier <paramref name="checkpointId"/> (operator's thread).</summary>
    public void Reset(long checkpointId, long previousId, bool full)
    {
        _rawLength = 0;
        _segmentCount = 0;
        Metadata.ResetWrittenCount();
        CheckpointId = checkpointId;
        PreviousId = previousId;
        Full = full;
        Keys = 0;
        Bytes = 0;
    }

    /// <summary>
    /// Declares where key, aggregate, revision and changed flag sit in the entry structs that
    /// <see cref="ReserveEntries"/> receives (operator's thread, once per capture before any entry).
    /// </summary>
    public void SetLayout(in EntryLayout layout) => _layout = layout;

    /// <summary>
    /// Reserves room for <paramref name="count"/> raw entries of bucket [<paramref name="start"/>,
    /// <paramref name="end"/>) and returns it: the caller copies exactly that many entry structs in.
    /// </summary>
    public Span<byte> ReserveEntries(long start, long end, int count)
    {
        var bytes = count * _layout.Stride;
        var at = Reserve(bytes);
        AddSegment(SegmentKind.Entries, start, end, at, count);
        Keys += count;
        return _raw.AsSpan(at, bytes);
    }

    /// <summary>Deletes the keys <paramref name="keys"/> (raw, <see cref="EntryLayout.KeySize"/> bytes each) of bucket [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public void DeleteKeys(long start, long end, ReadOnlySpan<byte> keys)
    {
        if (keys.IsEmpty) return;
        var at = Reserve(keys.Length);
        keys.CopyTo(_raw.AsSpan(at));
        AddSegment(SegmentKind.Deletes, start, end, at, keys.Length / _layout.KeySize);
    }

    /// <summary>Deletes every entry of bucket [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public void DeleteBucket(long start, long end) => AddSegment(SegmentKind.DeleteBucket, start, end, 0, 0);

    /// <summary>
    /// Turns the raw capture into LSM operations in <see cref="Batch"/> (off the hot path), in capture
    /// order: for a full capture a delete of the whole prefix first.
    /// </summary>
    public void Encode()
    {
        Batch.Clear();
        Bytes = 0;
        if (Full)
        {
            var end = _prefix.ToArray();
            var length = IncrementalKeys.ToSuccessor(end);
            Batch.DeleteRange(_prefix, end.AsSpan(0, length));
        }
        var layout = _layout;
        var keyAt = _prefix.Length + IncrementalKeys.BucketIdSize;
        var keyLength = keyAt + layout.KeySize;
        var valueLength = layout.ValueSize;
        if (_key.Length < keyLength)
        {
            var grown = new byte[keyLength];
            _prefix.CopyTo(grown, 0);
            _key = grown;
        }
        if (_value.Length < valueLength) _value = new byte[valueLength];
        var key = _key.AsSpan(0, keyLength);
        var value = _value.AsSpan(0, valueLength);
        for (var s = 0; s < _segmentCount; s++)
        {
            ref readonly var segment = ref _segments[s];
            IncrementalKeys.WriteBucketId(_key.AsSpan(_prefix.Length), segment.Start, segment.End);
            switch (segment.Kind)
            {
                case SegmentKind.DeleteBucket:
                    DeleteWholeBucket();
                    break;
                case SegmentKind.Deletes:
                    for (var i = 0; i < segment.Count; i++)
                    {
                        _raw.AsSpan(segment.Offset + i * layout.KeySize, layout.KeySize).CopyTo(key[keyAt..]);
                        Batch.Delete(key);
                        Bytes += keyLength;
                    }
                    break;
                default:
                    for (var i = 0; i < segment.Count; i++)
                    {
                        var entry = _raw.AsSpan(segment.Offset + i * layout.Stride, layout.Stride);
                        entry.Slice(layout.KeyOffset, layout.KeySize).CopyTo(key[keyAt..]);
                        entry.Slice(layout.AggregateOffset, layout.AggregateSize).CopyTo(value);
                        if (layout.HasSlotTail)
                        {
                            BinaryPrimitives.WriteInt32LittleEndian(value[layout.AggregateSize..], MemoryMarshal.Read<int>(entry[layout.RevisionOffset..]));
                            value[layout.AggregateSize + 4] = entry[layout.ChangedOffset] != 0 ? (byte)1 : (byte)0;
                        }
                        Batch.Put(key, value);
                    }
                    Bytes += (long)segment.Count * (keyLength + valueLength);
                    break;
            }
        }
        if (!Full) _steadyHighWater = Math.Max(_steadyHighWater, _rawLength);
    }

    /// <summary>
    /// After the write (off the hot path): a full capture grew the buffers to the whole state; give
    /// that memory back, keeping (and pre-touching) room for the largest delta seen, so the next
    /// barriers neither hold the whole state twice nor fault fresh pages in.
    /// </summary>
    public void TrimAfterWrite()
    {
        if (!Full) return;
        var keep = (int)Math.Min(Array.MaxLength, Math.Max(InitialRawBytes, _steadyHighWater * 2));
        if (_raw.Length > keep * 2) _raw = Touched(keep);
        Batch = new WriteBatch(keep * 2);
    }

    private void DeleteWholeBucket()
    {
        var fromLength = _prefix.Length + IncrementalKeys.BucketIdSize;
        var from = _key.AsSpan(0, fromLength);
        Span<byte> to = stackalloc byte[fromLength];
        from.CopyTo(to);
        var length = IncrementalKeys.ToSuccessor(to);
        if (length < 0) length = to.Length;   // unreachable in practice (an all-0xFF prefix and id)
        Batch.DeleteRange(from, to[..length]);
        Bytes += fromLength + length;
    }

    private int Reserve(int bytes)
    {
        var at = _rawLength;
        if (_raw.Length - at < bytes) Grow(at + bytes);
        _rawLength = at + bytes;
        return at;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int need)
    {
        var grown = Touched((int)Math.Min(Array.MaxLength, Math.Max((long)_raw.Length * 2, need)));
        _raw.AsSpan(0, _rawLength).CopyTo(grown);
        _raw = grown;
    }

    private void AddSegment(SegmentKind kind, long start, long end, int offset, int count)
    {
        if (_segmentCount == _segments.Length) Array.Resize(ref _segments, _segments.Length * 2);
        _segments[_segmentCount++] = new Segment(kind, start, end, offset, count);
    }

    /// <summary>A new buffer whose pages are already mapped (one write per page), so filling it at a barrier takes no page fault.</summary>
    private static byte[] Touched(int length)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(length);
        for (var i = 0; i < buffer.Length; i += PageBytes) buffer[i] = 0;
        return buffer;
    }

    private enum SegmentKind : byte
    {
        Entries,
        Deletes,
        DeleteBucket,
    }

    private readonly record struct Segment(SegmentKind Kind, long Start, long End, int Offset, int Count);
}

/// <summary>
/// Where the parts of an operator's entry struct sit (byte offsets), so that a raw copy of it can be
/// encoded later without the struct's type: <see cref="Stride"/> bytes an entry; the key; the
/// aggregate; the revision (a 32-bit integer, native order); the changed flag (a bool). An entry
/// without revision and flag (the unwindowed <c>KeyedAggregator</c>'s: key and aggregate only) has
/// both offsets −1 (<see cref="Unwindowed"/>): its value in the store is the aggregate alone.
/// </summary>
internal readonly record struct EntryLayout(int Stride, int KeyOffset, int KeySize, int AggregateOffset, int AggregateSize, int RevisionOffset, int ChangedOffset)
{
    /// <summary>The layout of an entry of key and aggregate only.</summary>
    public static EntryLayout Unwindowed(int stride, int keyOffset, int keySize, int aggregateOffset, int aggregateSize) =>
        new(stride, keyOffset, keySize, aggregateOffset, aggregateSize, -1, -1);

    /// <summary>True when the value carries the revision (i32 LE) and changed flag (u8) after the aggregate.</summary>
    public bool HasSlotTail => RevisionOffset >= 0;

    /// <summary>The bytes of an entry's value in the store.</summary>
    public int ValueSize => AggregateSize + (HasSlotTail ? 5 : 0);
}
