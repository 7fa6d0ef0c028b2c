using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Kernel.Checkpoints;
using Kernel.State;
using Kernel.Storage.Common;

namespace Kernel.Operators;

// Operator snapshot format, version 3 (little-endian). The whole state of a windowed aggregation:
// watermark state, counters, the panes not fired yet, the fired windows still inside their allowed
// lateness, the revision buckets of open sliding windows (Periodic, WindowedAggregator.Periodic.cs),
// and (session windows) every session with its timers. The aggregate of each entry is
// written as its own A-byte field, apart from the slot's bookkeeping, so a savepoint restore can
// migrate it field by field to another state layout (StateMigration).
//
//  offset  size  field
//  +0      4     magic "KWAG"
//  +4      2     version (3)
//  +6      2     flags: bit 0 = a session section follows the buckets
//  +8      8     state fingerprint (TSpec.StateFingerprint)
//  +16     8     combined watermark
//  +24     8     start of the next window to fire (long.MaxValue: none)
//  +32     8     events seen
//  +40     8     late events
//  +48     8     rows emitted
//  +56     4     source count (S)
//  +60     4     pane count (P)
//  +64     4     fired-window count (F)
//  +68     4     key size in bytes (K)
//  +72     4     aggregate (state) size in bytes (A)
//  +76     4     revision-bucket count (R)
//  +80     S×16  per source: max event time (i64), tracker watermark (i64)
//  ...     (P+F+R)× bucket: start (i64), end (i64), entry count n (i32),
//                 n × entry: key (K), aggregate (A), revision (i32), changed (u8)
//  [session section, when flagged]
//  ...     20    node count N (i32), free-list head (i32), live sessions (i32), timer count T (i32), head count H (i32)
//  ...     N×    node: key (K), start (i64), end (i64), aggregate (A), revision (i32), changed (u8),
//                 next (i32), version (i32), fired (u8), live (u8)
//  ...     T×16  timer heap in array order: at (i64), node (i32), version (i32)
//  ...     H×    key (K), first node + 1 (i32)
//  end−4   4     CRC-32C of every byte before it
//
// Nodes, timers and heads are written as they are (free nodes and stale timers included), so a
// restored operator fires the same sessions in the same order as the one that wrote them.
// Version 2 (the same without R: a 76-byte header, no revision buckets) and version 1 (tumbling and
// sliding only; buckets as StateTable "KSTB" snapshots) are still read.
// Processing-time state (idleness, periodic watermark and emit ticks) is not saved: a restored
// operator starts with every source active, as a freshly started one does.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> : IMigratableSnapshotOperator
{
    private const uint SnapshotMagic = 0x4741574B; // "KWAG"
    private const ushort SnapshotVersion = 3;
    private const int SnapshotHeaderSize = 80;
    private const int SnapshotHeaderSizeV2 = 76;
    private const int SnapshotHeaderSizeV1 = 68;
    private const int SessionSectionHeader = 20;

    private static StateLayout? s_layout;

    /// <inheritdoc />
    public string AggregationName => TSpec.Name;

    /// <inheritdoc />
    public ulong StateFingerprint => TSpec.StateFingerprint;

    /// <inheritdoc />
    public StateLayout? Layout => s_layout ??= StateLayout.TryOf<TKey, TState>(TSpec.Name, TSpec.StateFingerprint, typeof(TSpec), StateSize, InitialState());

    private static int KeySize => System.Runtime.CompilerServices.Unsafe.SizeOf<TKey>();

    private static int StateSize => System.Runtime.CompilerServices.Unsafe.SizeOf<TState>();

    private static int EntrySize => KeySize + StateSize + 5;

    private static int NodeSize => KeySize + StateSize + 31;

    /// <summary>
    /// Writes the operator's complete state (see the layout above) to <paramref name="output"/>.
    /// Call it on the operator's thread, between batches (a barrier's control listener is such a place).
    /// </summary>
    public int WriteSnapshot(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        UnspillAll();   // [spill] a full snapshot is written from memory (WindowedAggregator.Spill.cs)
        var sources = _maxEventTime.Length;
        long size = SnapshotHeaderSize + sources * 16 + 4;
        for (var i = 0; i < _paneCount; i++) size += 20 + (long)_panes[i].Table.Count * EntrySize;
        for (var i = 0; i < _firedCount; i++) size += 20 + (long)_fired[i].Table.Count * EntrySize;
        for (var i = 0; i < _revCount; i++) size += 20 + (long)_revs[i].Table.Count * EntrySize;
        if (_session) size += SessionSectionHeader + (long)_nodeCount * NodeSize + (long)_timerCount * 16 + (long)_heads.Count * (KeySize + 4);
        if (size > int.MaxValue) throw new InvalidOperationException($"aggregation '{TSpec.Name}': a snapshot of {size} bytes exceeds 2 GiB");
        var total = (int)size;
        var span = output.GetSpan(total)[..total];

        var at = WriteHeader(span, SnapshotMagic, SnapshotVersion, (ushort)(_session ? 1 : 0), sources);
        for (var i = 0; i < _paneCount; i++) at = WriteBucket(span, at, _panes[i]);
        for (var i = 0; i < _firedCount; i++) at = WriteBucket(span, at, _fired[i]);
        for (var i = 0; i < _revCount; i++) at = WriteBucket(span, at, _revs[i]);
        if (_session) at = WriteSessions(span, at);
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32C.Compute(span[..at]));
        output.Advance(total);
        if (TSpec.HasSideState) total += SideStateSnapshot.Write(output, _side!, total);   // [side-state]
        return total;
    }

    /// <summary>
    /// Replaces the operator's state with <paramref name="snapshot"/>. Call it before the operator
    /// processes anything (recovery), on the thread that will own it.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an operator snapshot, are damaged, or
    /// were written under another state fingerprint or source count (the message names the aggregation and the offset).</exception>
    public void RestoreSnapshot(ReadOnlySpan<byte> snapshot) => RestoreSnapshot(snapshot, null);

    /// <summary>
    /// Replaces the operator's state with <paramref name="snapshot"/>, written under the state
    /// layout <paramref name="migration"/> starts from (a savepoint of an older build); every
    /// aggregate is migrated to this build's layout. A null migration requires the same fingerprint.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are damaged, or do not match the migration's source layout.</exception>
    public void RestoreSnapshot(ReadOnlySpan<byte> snapshot, StateMigration? migration)
    {
        ReadOnlySpan<byte> side = default;   // [side-state] checked on a scratch side state after the header; restored once the old buckets have released their sketches
        if (TSpec.HasSideState) snapshot = SideStateSnapshot.Split(snapshot, TSpec.Name, out side);
        if (snapshot.Length < SnapshotHeaderSizeV1 + 4) ThrowBadSnapshot(0, $"{snapshot.Length} bytes is shorter than the {SnapshotHeaderSizeV1 + 4}-byte minimum");
        if (BinaryPrimitives.ReadUInt32LittleEndian(snapshot) != SnapshotMagic) ThrowBadSnapshot(0, "magic is not \"KWAG\"");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(snapshot[4..]);
        if (version is not (1 or 2 or SnapshotVersion)) ThrowBadSnapshot(4, $"version {version} is not supported (expected 1 to {SnapshotVersion}; a later build wrote it)");
        if (version >= 3 && snapshot.Length < SnapshotHeaderSize + 4) ThrowBadSnapshot(0, $"{snapshot.Length} bytes is shorter than the {SnapshotHeaderSize + 4}-byte minimum of version {version}");
        var bodyEnd = snapshot.Length - 4;
        if (BinaryPrimitives.ReadUInt32LittleEndian(snapshot[bodyEnd..]) != Crc32C.Compute(snapshot[..bodyEnd]))
            ThrowBadSnapshot(bodyEnd, "CRC-32C does not match the content");
        var fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(snapshot[8..]);
        if (migration is null && fingerprint != TSpec.StateFingerprint)
            ThrowBadSnapshot(8, $"state fingerprint 0x{fingerprint:X16} differs from this build's 0x{TSpec.StateFingerprint:X16} (the aggregation's state schema changed)");
        if (migration is not null)
        {
            if (fingerprint != migration.FromFingerprint)
                ThrowBadSnapshot(8, $"state fingerprint 0x{fingerprint:X16} is not the migration's source 0x{migration.FromFingerprint:X16}");
            if (migration.ToStateSize != StateSize || migration.ToFingerprint != TSpec.StateFingerprint)
                ThrowBadSnapshot(8, $"the migration targets fingerprint 0x{migration.ToFingerprint:X16} ({migration.ToStateSize} bytes), this build has 0x{TSpec.StateFingerprint:X16} ({StateSize} bytes)");
            if (version == 1) ThrowBadSnapshot(4, "version 1 snapshots cannot be migrated; restore them with the build that wrote them");
        }
        var sources = BinaryPrimitives.ReadInt32LittleEndian(snapshot[56..]);
        if (sources != _maxEventTime.Length) ThrowBadSnapshot(56, $"source count {sources} differs from the operator's {_maxEventTime.Length}");
        var panes = BinaryPrimitives.ReadInt32LittleEndian(snapshot[60..]);
        var fired = BinaryPrimitives.ReadInt32LittleEndian(snapshot[64..]);
        var revs = version >= 3 ? BinaryPrimitives.ReadInt32LittleEndian(snapshot[76..]) : 0;
        if (panes < 0 || fired < 0 || revs < 0) ThrowBadSnapshot(60, $"bucket counts {panes}, {fired} and {revs} must not be negative");
        var flags = version == 1 ? 0 : BinaryPrimitives.ReadUInt16LittleEndian(snapshot[6..]);
        if (((flags & 1) != 0) != _session)
            ThrowBadSnapshot(6, _session ? "the snapshot holds no session windows but the operator runs them" : "the snapshot holds session windows but the operator does not run them");
        var stateSize = StateSize;
        if (version != 1)
        {
            var keySize = BinaryPrimitives.ReadInt32LittleEndian(snapshot[68..]);
            if (keySize != KeySize) ThrowBadSnapshot(68, $"key size {keySize} differs from this build's {KeySize} (the key type changed)");
            stateSize = BinaryPrimitives.ReadInt32LittleEndian(snapshot[72..]);
            var expected = migration?.FromStateSize ?? StateSize;
            if (stateSize != expected) ThrowBadSnapshot(72, $"aggregate size {stateSize} differs from the expected {expected}");
        }
        var at = (version switch { 1 => SnapshotHeaderSizeV1, 2 => SnapshotHeaderSizeV2, _ => SnapshotHeaderSize }) + sources * 16;
        if ((long)at > bodyEnd) ThrowBadSnapshot(56, $"{sources} sources run past the end");
        // [side-state] after the header: a snapshot of other sketch settings fails the fingerprint check above, not a sketch pool
        if (TSpec.HasSideState) SideStateSnapshot.Check(side, TSpec.CreateSideState()!);

        // Every section is checked (the sessions read into fresh arrays) before anything changes: a
        // rejected snapshot leaves the operator as it was.
        var bucketsAt = at;
        var buckets = panes + fired + revs;
        for (var i = 0; i < buckets; i++)
        {
            if (version == 1) CheckBucketV1(snapshot, ref at, bodyEnd, i, panes + fired);
            else CheckBucket(snapshot, ref at, bodyEnd, i, buckets, stateSize);
        }
        var sessions = _session ? ReadSessions(snapshot, ref at, bodyEnd, stateSize, migration) : null;
        if (at != bodyEnd) ThrowBadSnapshot(at, $"{bodyEnd - at} bytes follow the last section");

        ClearBuckets();
        if (_session) ClearSessions();
        if (TSpec.HasSideState) _side!.RestoreSnapshot(side);   // [side-state]
        var sourceAt = bucketsAt - sources * 16;
        for (var s = 0; s < sources; s++)
        {
            _maxEventTime[s] = BinaryPrimitives.ReadInt64LittleEndian(snapshot[(sourceAt + s * 16)..]);
            _tracker.Advance(s, BinaryPrimitives.ReadInt64LittleEndian(snapshot[(sourceAt + s * 16 + 8)..]));
        }
        at = bucketsAt;
        for (var i = 0; i < buckets; i++)
        {
            var bucket = version == 1 ? ReadBucketV1(snapshot, ref at) : ReadBucket(snapshot, ref at, stateSize, migration);
            if (i < panes)
            {
                bucket.Touched = true;   // its changed flags came with it: the next periodic tick looks at it
                Insert(ref _panes, ref _paneCount, _paneCount, bucket);
            }
            else if (i < panes + fired) Insert(ref _fired, ref _firedCount, _firedCount, bucket);
            else Insert(ref _revs, ref _revCount, _revCount, bucket);
        }
        if (sessions is not null) SetSessions(sessions);
        RestoreProgress(snapshot);
        UpdateNextTimer();
    }

    /// <summary>
    /// Sets the watermark, the next fire, and the event, late and row counters from bytes 16–55 of a snapshot's
    /// header or an incremental capture's metadata (the same layout), after the buckets are in place.
    /// </summary>
    private void RestoreProgress(ReadOnlySpan<byte> header)
    {
        _watermark = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        // Restored sources all came back active: one that was idle and behind W would hold the tracker down again.
        _tracker.Restore(_watermark, _clock.NowMs);
        _nextFireStart = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        _eventsSeen = BinaryPrimitives.ReadInt64LittleEndian(header[32..]);
        _lateEvents = BinaryPrimitives.ReadInt64LittleEndian(header[40..]);
        _rowsEmitted = BinaryPrimitives.ReadInt64LittleEndian(header[48..]);
        ForgetCachedPanes();
    }

    /// <summary>
    /// Writes the 80-byte header both formats share (full snapshot and incremental metadata: magic,
    /// version, flags, fingerprint, watermark and counters) and each source's largest event time and
    /// watermark; returns the offset after them.
    /// </summary>
    private int WriteHeader(Span<byte> span, uint magic, ushort version, ushort flags, int sources)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span, magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], TSpec.StateFingerprint);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], _watermark);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], _nextFireStart);
        BinaryPrimitives.WriteInt64LittleEndian(span[32..], _eventsSeen);
        BinaryPrimitives.WriteInt64LittleEndian(span[40..], _lateEvents);
        BinaryPrimitives.WriteInt64LittleEndian(span[48..], _rowsEmitted);
        BinaryPrimitives.WriteInt32LittleEndian(span[56..], sources);
        BinaryPrimitives.WriteInt32LittleEndian(span[60..], _paneCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[64..], _firedCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[68..], KeySize);
        BinaryPrimitives.WriteInt32LittleEndian(span[72..], StateSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[76..], _revCount);
        var at = SnapshotHeaderSize;
        for (var s = 0; s < sources; s++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], _maxEventTime[s]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], _tracker.WatermarkOf(s));
            at += 16;
        }
        return at;
    }

    private static int WriteBucket(Span<byte> span, int at, WindowBucket<TKey, TState, Hasher> bucket)
    {
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], bucket.Start);
        BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], bucket.End);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 16)..], bucket.Table.Count);
        at += 20;
        foreach (ref var entry in bucket.Table)
        {
            MemoryMarshal.Write(span[at..], in entry.Key);
            at += KeySize;
            MemoryMarshal.Write(span[at..], in entry.State.Agg);
            at += StateSize;
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], entry.State.Revision);
            span[at + 4] = entry.State.Changed ? (byte)1 : (byte)0;
            at += 5;
        }
        return at;
    }

    /// <summary>Checks that bucket <paramref name="index"/> (version 2 or 3) and its entries fit before <paramref name="bodyEnd"/>, and steps past it.</summary>
    private static void CheckBucket(ReadOnlySpan<byte> snapshot, ref int at, int bodyEnd, int index, int count, int stateSize)
    {
        if (at + 20 > bodyEnd) ThrowBadSnapshot(at, $"bucket {index} of {count} runs past the end");
        var entries = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 16)..]);
        at += 20;
        var entrySize = KeySize + stateSize + 5;
        if (entries < 0 || at + (long)entries * entrySize > bodyEnd) ThrowBadSnapshot(at - 4, $"bucket {index}'s {entries} entries run past the end");
        at += entries * entrySize;
    }

    /// <summary>Reads a bucket <see cref="CheckBucket"/> accepted into a rented one.</summary>
    private WindowBucket<TKey, TState, Hasher> ReadBucket(ReadOnlySpan<byte> snapshot, ref int at, int stateSize, StateMigration? migration)
    {
        var start = BinaryPrimitives.ReadInt64LittleEndian(snapshot[at..]);
        var end = BinaryPrimitives.ReadInt64LittleEndian(snapshot[(at + 8)..]);
        var entries = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 16)..]);
        at += 20;
        var bucket = Rent(start, end);
        for (var e = 0; e < entries; e++)
        {
            var key = MemoryMarshal.Read<TKey>(snapshot[at..]);
            at += KeySize;
            ref var slot = ref bucket.Table.GetValueRefOrAdd(key, out _);
            ReadAggregate(snapshot.Slice(at, stateSize), migration, out slot.Agg);
            at += stateSize;
            slot.Revision = BinaryPrimitives.ReadInt32LittleEndian(snapshot[at..]);
            slot.Changed = snapshot[at + 4] != 0;
            at += 5;
        }
        bucket.Table.MarkClean();
        return bucket;
    }

    /// <summary>Checks that version-1 bucket <paramref name="index"/> fits and holds a table snapshot this build restores, and steps past it.</summary>
    private static void CheckBucketV1(ReadOnlySpan<byte> snapshot, ref int at, int bodyEnd, int index, int count)
    {
        if (at + 20 > bodyEnd) ThrowBadSnapshot(at, $"bucket {index} of {count} runs past the end");
        var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 16)..]);
        at += 20;
        if (length < 0 || at + length > bodyEnd) ThrowBadSnapshot(at - 4, $"bucket {index}'s table length {length} runs past the end");
        StateTable<TKey, WindowSlot<TState>, Hasher>.CheckSnapshot(snapshot.Slice(at, length), TSpec.Name, TSpec.StateFingerprint);
        at += length;
    }

    /// <summary>Reads a version-1 bucket <see cref="CheckBucketV1"/> accepted into a rented one.</summary>
    private WindowBucket<TKey, TState, Hasher> ReadBucketV1(ReadOnlySpan<byte> snapshot, ref int at)
    {
        var start = BinaryPrimitives.ReadInt64LittleEndian(snapshot[at..]);
        var end = BinaryPrimitives.ReadInt64LittleEndian(snapshot[(at + 8)..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 16)..]);
        at += 20;
        var bucket = Rent(start, end);
        bucket.Table.Restore(snapshot.Slice(at, length));
        at += length;
        return bucket;
    }

    private static void ReadAggregate(ReadOnlySpan<byte> bytes, StateMigration? migration, out TState agg)
    {
        if (migration is null)
        {
            agg = MemoryMarshal.Read<TState>(bytes);
            return;
        }
        agg = default;
        migration.Migrate(bytes, MemoryMarshal.AsBytes(new Span<TState>(ref agg)));
    }

    private void ClearBuckets()
    {
        ResetStacks();
        ClearRevs();
        while (_paneCount > 0) Return(RemoveAt(_panes, ref _paneCount, _paneCount - 1));
        while (_firedCount > 0) Return(RemoveAt(_fired, ref _firedCount, _firedCount - 1));
    }

    private static byte[] InitialState()
    {
        TSpec.Init(out var state);
        return MemoryMarshal.AsBytes(new ReadOnlySpan<TState>(in state)).ToArray();
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowBadSnapshot(int offset, string reason) =>
        throw new InvalidDataException($"operator snapshot of aggregation '{TSpec.Name}' at offset {offset}: {reason}");
}
