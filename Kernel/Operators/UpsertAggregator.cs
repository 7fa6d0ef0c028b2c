using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Kernel.Ring;
using Kernel.State;
using Kernel.Storage.Common;

namespace Kernel.Operators;

/// <summary>
/// Runs an unwindowed aggregation whose input is another aggregation's rows, consuming them as
/// upserts: a row replaces the previous row of the same upstream identity (its key members and
/// window start), so a product revised five times counts once, with its latest values.
/// </summary>
/// <remarks>
/// <para>The operator keeps the latest upstream row per identity. On a revision it retracts the old
/// row from its downstream key and folds the new one. Sums, counts and averages are retracted by
/// subtraction (<see cref="IUpsertSpec{TEvent, TUpstreamKey, TState}.Retract"/>). A spec with
/// <c>[Min]</c> or <c>[Max]</c> is not invertible: when the replaced row may hold an extreme, the affected
/// downstream key is rebuilt from the kept rows (a scan of every kept upstream row). A replaced row
/// holding no extreme is subtracted all the same (<see cref="IUpsertSpec{TEvent, TUpstreamKey, TState}.TryRetract"/>,
/// <see cref="IUpsertSpec{TEvent, TUpstreamKey, TState}.TryReplace"/>), so the scan is taken only when an extreme may have
/// left (<see cref="Rebuilds"/>). A downstream key whose last upstream row leaves it (the filter now rejects the row, or the row
/// moved to another key) is removed. <c>[First]</c>/<c>[Last]</c> over upserts are refused at build
/// time (KRN0022). A <c>double</c> sum retracted by subtraction can differ from a fresh sum by rounding.</para>
/// <para>Fed live: it is an <see cref="IRowSink{TRow}"/> of the upstream's rows, so it can be the sink of a
/// windowed upstream (every emitted revision) or the change sink of an unwindowed one
/// (<see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}.KeyedAggregator(KeyedAggregatorOptions, IRowSink{TRow})"/>:
/// each changed key's row once per batch), and then runs on the upstream's thread. A row equal to the kept
/// one (the same bytes) changes nothing and is skipped; a row flagged <see cref="RowRevision.IsRetraction"/>
/// removes the row kept for its identity.</para>
/// <para>Followed live: its own optional change sink (the constructor's <c>changes</c>) receives, after each
/// upstream row, the rows of the downstream keys that row changed, and a retraction for a key left without
/// rows, so a third aggregation can run over this one the same way.</para>
/// <para>Single-threaded, like every operator. Nothing is allocated per row once the keys exist.</para>
/// </remarks>
/// <typeparam name="TEvent">The upstream row.</typeparam>
/// <typeparam name="TUpstreamKey">The upstream row's identity (generated <c>UpstreamKey</c>).</typeparam>
/// <typeparam name="TKey">The downstream grouping key.</typeparam>
/// <typeparam name="TState">The downstream state per key.</typeparam>
/// <typeparam name="TRow">The downstream row.</typeparam>
/// <typeparam name="TSpec">The compiled downstream aggregation (generated).</typeparam>
public sealed class UpsertAggregator<TEvent, TUpstreamKey, TKey, TState, TRow, TSpec> : IBatchHandler<TEvent>, IRowSink<TEvent>, ISnapshotOperator, IUpsertRowInput
    where TEvent : unmanaged
    where TUpstreamKey : unmanaged, IEquatable<TUpstreamKey>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>, IUpsertSpec<TEvent, TUpstreamKey, TState>
{
    // Snapshot format, version 1 (little-endian):
    //  +0   4  magic "KUPS"
    //  +4   2  version (1)
    //  +6   2  reserved (0)
    //  +8   8  state fingerprint (TSpec.StateFingerprint)
    //  +16  8  rows applied
    //  +24  4  length of the upstream-rows table snapshot (A), then A bytes ("KSTB", scope Full)
    //  ...  4  length of the downstream table snapshot (B), then B bytes ("KSTB", scope Full)
    //  end−4 4 CRC-32C of every byte before it
    private const uint SnapshotMagic = 0x5350554B; // "KUPS"
    private const ushort SnapshotVersion = 1;

    private readonly StateTable<TUpstreamKey, TEvent, UpstreamHasher> _latest;
    private readonly StateTable<TKey, UpsertSlot<TState>, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> _table;
    private readonly IControlListener? _control;
    private readonly SideState? _side;   // [TopK] leaderboards; null unless TSpec.HasSideState
    private long _rowsApplied;
    private long _rebuilds;
    private readonly IRowSink<TRow>? _changes;
    private long _changesEmitted;
    private long _watermark = long.MinValue;   // the upstream's, as its rows last said (change rows carry it)

    /// <summary>Creates the operator with an empty state.</summary>
    /// <param name="initialCapacity">Upstream identities (and downstream keys) to hold before the tables first grow.</param>
    /// <param name="control">Told about barriers and end of input met in the ring; may be null.</param>
    /// <param name="changes">
    /// Receives this aggregation's own changes, so that a third aggregation (another
    /// <see cref="UpsertAggregator{TEvent, TUpstreamKey, TKey, TState, TRow, TSpec}"/> over these rows) or any
    /// subscriber follows it live: after each upstream row, the current row of every downstream key whose state
    /// it changed (at most two: the key the row left and the key it joined; a key whose state's bytes did not
    /// change is not sent), and for a key whose last upstream row left, its last row flagged
    /// <see cref="RowRevision.IsRetraction"/>. Each row's <see cref="RowRevision.Revision"/> is the number of
    /// upstream rows applied so far (so a key's later row has the higher one; it stops at <see cref="int.MaxValue"/>;
    /// a snapshot keeps the count, so it goes on after a restore), and its watermark the highest an upstream row came with (not kept by a
    /// snapshot: <see cref="long.MinValue"/> after a restore until a row comes). Called on this operator's thread
    /// (the upstream's, when fed live), in the middle of applying a row: the sink must not feed this operator, and
    /// what it reads from it may be half done (a row moving between keys leaves one before it joins the other).
    /// Null for none.
    /// </param>
    public UpsertAggregator(int initialCapacity = 1024, IControlListener? control = null, IRowSink<TRow>? changes = null)
    {
        _latest = new(TSpec.Name, TSpec.StateFingerprint, initialCapacity, trackRemovals: false);
        _table = new(TSpec.Name, TSpec.StateFingerprint, initialCapacity, trackRemovals: false);
        _control = control;
        _changes = changes;
        if (TSpec.HasSideState) _side = TSpec.CreateSideState();
    }

    /// <summary>The sink of this operator's changes; null when it has none.</summary>
    public IRowSink<TRow>? Changes => _changes;

    /// <summary>Rows sent to the change sink so far (retractions included).</summary>
    public long ChangesEmitted => _changesEmitted;

    /// <summary>The number of downstream keys held.</summary>
    public int Count => _table.Count;

    /// <summary>The number of upstream identities whose latest row is kept.</summary>
    public int UpstreamRows => _latest.Count;

    /// <summary>Upstream rows applied (revisions included).</summary>
    public long RowsApplied => _rowsApplied;

    /// <summary>
    /// Downstream states recomputed from the kept rows: a <c>[Min]</c>/<c>[Max]</c> whose extreme row was revised
    /// away from it (a lower maximum, say) or left the key. Each costs a scan of <see cref="UpstreamRows"/>.
    /// </summary>
    public long Rebuilds => _rebuilds;

    /// <inheritdoc/>
    public string AggregationName => TSpec.Name;

    /// <inheritdoc/>
    public ulong StateFingerprint => TSpec.StateFingerprint;

    /// <inheritdoc/>
    public long StateEntries => _table.Count + (long)_latest.Count;

    /// <summary>Applies a batch of upstream rows, in order.</summary>
    public void Apply(ReadOnlySpan<TEvent> rows)
    {
        for (var i = 0; i < rows.Length; i++) Upsert(rows[i]);
    }

    /// <summary>Applies one upstream row: it replaces the previous row of its identity.</summary>
    public void Apply(in TEvent row) => Upsert(row);

    /// <summary>
    /// Receives an upstream operator's emitted row (attach this operator as its sink): an upsert, or, when
    /// <paramref name="revision"/> is a retraction, the removal of the row kept for its identity (nothing
    /// when none is kept).
    /// </summary>
    public void OnRow(in TEvent row, in RowRevision revision)
    {
        if (revision.Watermark > _watermark) _watermark = revision.Watermark;
        if (revision.IsRetraction) Retract(row);
        else Upsert(row);
    }

    /// <summary>
    /// Removes the row kept for <paramref name="row"/>'s identity, as if its upstream key had ceased to exist;
    /// nothing when none is kept.
    /// </summary>
    public void Retract(in TEvent row)
    {
        _rowsApplied++;
        var identity = TSpec.UpstreamKeyOf(row);
        ref var latest = ref _latest.GetValueRefOrNullRef(identity);
        if (Unsafe.IsNullRef(ref latest)) return;
        var old = latest;
        _latest.Remove(identity);
        if (TSpec.Filter(old)) Leave(old);
    }

    /// <inheritdoc/>
    public void OnBatch(ReadOnlySpan<RingEntry<TEvent>> entries, long firstSequence)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Kind == EntryKind.Event) Upsert(entry.Event);
            else OnControl(entry, firstSequence + i);
        }
    }

    /// <summary>The row of <paramref name="key"/>, if some current upstream row feeds it.</summary>
    public bool TryGet(in TKey key, out TRow row)
    {
        ref var slot = ref _table.GetValueRefOrNullRef(key);
        if (Unsafe.IsNullRef(ref slot))
        {
            row = default!;
            return false;
        }
        TSpec.ToRow(key, slot.Agg, 0, 0, out row);
        if (TSpec.HasSideState) TSpec.SideToRow(_side!, slot.Agg, ref row);
        return true;
    }

    /// <summary>Enumerates every downstream key's current row (no order); the state must not change meanwhile.</summary>
    public RowEnumerator GetRows() => new(_table.GetEnumerator(), _side);

    private void Upsert(in TEvent row)
    {
        _rowsApplied++;
        ref var latest = ref _latest.GetValueRefOrAdd(TSpec.UpstreamKeyOf(row), out var added);
        // The same row again (an upstream re-sending its rows after a restore, say) changes nothing: skip
        // the retraction and the fold, and for [Min]/[Max] a possible rebuild, which scans every kept row.
        if (!added && SameBytes(latest, row)) return;
        var hasNew = TSpec.Filter(row);
        if (added || !TSpec.Filter(latest))
        {
            // Nothing of this identity counted yet.
            latest = row;
            if (hasNew) Fold(row);
            return;
        }
        var old = latest;
        latest = row;
        var oldKey = TSpec.KeyOf(old);
        if (hasNew && TSpec.KeyOf(row).Equals(oldKey))
        {
            // A revision within its key: the key's row count stays.
            ref var slot = ref SlotOf(oldKey);
            var before = _changes is null ? default : slot.Agg;   // compared only for the change sink
            if (TSpec.HasSideState) TSpec.RetractSide(_side!, ref slot.Agg, old);
            if (TSpec.TryReplace(ref slot.Agg, old, row)) TSpec.Update(ref slot.Agg, row);
            else if (slot.Rows == 1) Refold(ref slot, row);   // the key's only row: no other row to scan for
            else slot = ref Rebuild(oldKey);   // the new row is kept already, so the rebuild folds it
            // Sketches are not rebuilt (the rebuild keeps their handles): the new row feeds them here.
            if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref slot.Agg, row);
            if (_changes is not null && (TSpec.HasSideState || !SameBytes(before, slot.Agg))) EmitChange(oldKey, ref slot, retraction: false);
            return;
        }
        // The old row leaves its key (the new one belongs elsewhere, or the filter now rejects it).
        Leave(old);
        if (hasNew) Fold(row);
    }

    /// <summary>The downstream slot of a key that a kept row counts for (its absence means the state is corrupt).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref UpsertSlot<TState> SlotOf(in TKey key)
    {
        ref var slot = ref _table.GetValueRefOrNullRef(key);
        if (Unsafe.IsNullRef(ref slot)) ThrowLost(key);
        return ref slot;
    }

    /// <summary>Takes <paramref name="old"/> (a row that passed the filter, no longer kept) out of its downstream key.</summary>
    private void Leave(in TEvent old)
    {
        var key = TSpec.KeyOf(old);
        ref var slot = ref SlotOf(key);
        if (--slot.Rows == 0)
        {
            // Sent before anything is taken out, so that the retraction carries the key's last values, sketches included.
            if (_changes is not null) EmitChange(key, ref slot, retraction: true);
            if (TSpec.HasSideState) TSpec.ReleaseSide(_side!, ref slot.Agg);
            _table.Remove(key);
            return;
        }
        var before = _changes is null ? default : slot.Agg;   // compared only for the change sink
        if (TSpec.HasSideState) TSpec.RetractSide(_side!, ref slot.Agg, old);
        if (!TSpec.TryRetract(ref slot.Agg, old)) slot = ref Rebuild(key);
        if (_changes is not null && (TSpec.HasSideState || !SameBytes(before, slot.Agg))) EmitChange(key, ref slot, retraction: false);
    }

    /// <summary>Sets a key's state to its only row's fold (no scan), keeping its sketch handles.</summary>
    private static void Refold(ref UpsertSlot<TState> slot, in TEvent row)
    {
        TSpec.Init(out TState agg);
        TSpec.Update(ref agg, row);
        if (TSpec.HasSideState) TSpec.CopySideHandles(slot.Agg, ref agg);
        slot.Agg = agg;
    }

    /// <summary>Sends <paramref name="key"/>'s current row (or, as a retraction, its last one) to the change sink.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmitChange(in TKey key, ref UpsertSlot<TState> slot, bool retraction)
    {
        TSpec.ToRow(key, slot.Agg, 0, 0, out TRow row);
        if (TSpec.HasSideState) TSpec.SideToRow(_side!, slot.Agg, ref row);
        // Revision: the rows applied so far, so that a key's later row has the higher revision.
        var revision = new RowRevision(0, 0, (int)Math.Min(_rowsApplied, int.MaxValue), false, _watermark) { IsRetraction = retraction };
        _changesEmitted++;
        _changes!.OnRow(row, revision);
    }

    /// <summary>
    /// Sends the change sink every downstream key's current row (nothing without a sink): after
    /// <see cref="RestoreSnapshot"/>, for a downstream that was not restored with this operator. A downstream
    /// that was gets rows equal to those it keeps, which an upsert consumer skips. Call it between rows.
    /// </summary>
    public void ResendRows()
    {
        if (_changes is null) return;
        foreach (ref var entry in _table) EmitChange(entry.Key, ref entry.State, retraction: false);
    }

    /// <summary>True when two rows are the same bytes (then certainly the same row; rows differing only in padding merely take the full path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SameBytes<T>(in T a, in T b) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in a))
            .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in b)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Fold(in TEvent row)
    {
        ref var slot = ref _table.GetValueRefOrAdd(TSpec.KeyOf(row), out var added);
        if (added) TSpec.Init(out slot.Agg);
        var before = _changes is null ? default : slot.Agg;   // compared only for the change sink
        TSpec.Update(ref slot.Agg, row);
        if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref slot.Agg, row);
        slot.Rows++;
        if (_changes is not null && (added || TSpec.HasSideState || !SameBytes(before, slot.Agg))) EmitChange(TSpec.KeyOf(row), ref slot, retraction: false);
    }

    /// <summary>
    /// Recomputes <paramref name="key"/>'s state from the kept upstream rows, for a <c>[Min]</c>/<c>[Max]</c> whose
    /// extreme may have left: a scan of every kept row (O(upstream rows)), so taken only when
    /// <c>TryRetract</c>/<c>TryReplace</c> cannot do without it. Keeps the key's sketch handles as they are.
    /// Returns the key's slot (the key is present: the caller's kept row counts for it).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref UpsertSlot<TState> Rebuild(in TKey key)
    {
        _rebuilds++;
        TSpec.Init(out TState agg);
        long rows = 0;
        foreach (ref var entry in _latest)
        {
            ref var r = ref entry.State;
            if (!TSpec.Filter(r) || !TSpec.KeyOf(r).Equals(key)) continue;
            TSpec.Update(ref agg, r);
            rows++;
        }
        ref var slot = ref _table.GetValueRefOrNullRef(key);
        if (Unsafe.IsNullRef(ref slot) || rows == 0) ThrowLost(key);
        if (TSpec.HasSideState) TSpec.CopySideHandles(slot.Agg, ref agg);   // the sketches were updated in place
        slot.Agg = agg;
        slot.Rows = rows;
        return ref slot;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnControl(in RingEntry<TEvent> entry, long sequence)
    {
        switch (entry.Kind)
        {
            case EntryKind.Barrier:
                _control?.OnBarrier(entry.Value, sequence);
                break;
            case EntryKind.EndOfInput:
                _control?.OnEndOfInput(entry.SourceId, sequence);
                break;
        }
    }

    /// <summary>Writes the kept upstream rows and the downstream state (layout above); call between batches.</summary>
    public int WriteSnapshot(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var body = new ArrayBufferWriter<byte>(1024);
        var header = body.GetSpan(24);
        BinaryPrimitives.WriteUInt32LittleEndian(header, SnapshotMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], SnapshotVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], TSpec.StateFingerprint);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], _rowsApplied);
        body.Advance(24);
        WriteTable(body, _latest);
        WriteTable(body, _table);
        var crc = Crc32C.Compute(body.WrittenSpan);
        var total = body.WrittenCount + 4;
        var span = output.GetSpan(total);
        body.WrittenSpan.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[body.WrittenCount..], crc);
        output.Advance(total);
        if (TSpec.HasSideState) total += SideStateSnapshot.Write(output, _side!, total);
        return total;
    }

    /// <summary>Replaces the state with a snapshot written by <see cref="WriteSnapshot"/>; call before any row is applied.</summary>
    /// <remarks>Every part is checked before the first change: bytes it rejects leave the operator as it was.</remarks>
    /// <exception cref="InvalidDataException">The bytes are damaged or were written under another state fingerprint.</exception>
    public void RestoreSnapshot(ReadOnlySpan<byte> snapshot)
    {
        ReadOnlySpan<byte> side = default;
        if (TSpec.HasSideState) snapshot = SideStateSnapshot.Split(snapshot, TSpec.Name, out side);
        if (snapshot.Length < 32) ThrowBad(0, $"{snapshot.Length} bytes is shorter than the 32-byte minimum");
        if (BinaryPrimitives.ReadUInt32LittleEndian(snapshot) != SnapshotMagic) ThrowBad(0, "magic is not \"KUPS\"");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(snapshot[4..]);
        if (version != SnapshotVersion) ThrowBad(4, $"version {version} is not supported (expected {SnapshotVersion})");
        var bodyEnd = snapshot.Length - 4;
        if (BinaryPrimitives.ReadUInt32LittleEndian(snapshot[bodyEnd..]) != Crc32C.Compute(snapshot[..bodyEnd]))
            ThrowBad(bodyEnd, "CRC-32C does not match the content");
        var fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(snapshot[8..]);
        if (fingerprint != TSpec.StateFingerprint)
            ThrowBad(8, $"state fingerprint 0x{fingerprint:X16} differs from this build's 0x{TSpec.StateFingerprint:X16}");
        // After the fingerprint: a snapshot of other sketch settings fails the check above, not a sketch pool.
        if (TSpec.HasSideState) SideStateSnapshot.Check(side, TSpec.CreateSideState()!);
        var at = 24;
        var latestAt = at + 4;
        var latest = ReadTable(snapshot, ref at, bodyEnd);
        var tableAt = at + 4;
        var table = ReadTable(snapshot, ref at, bodyEnd);
        if (at != bodyEnd) ThrowBad(at, $"{bodyEnd - at} bytes follow the last table");
        StateTable<TUpstreamKey, TEvent, UpstreamHasher>.CheckSnapshot(latest, TSpec.Name, TSpec.StateFingerprint);
        StateTable<TKey, UpsertSlot<TState>, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.CheckSnapshot(table, TSpec.Name, TSpec.StateFingerprint);
        // The writer writes both tables whole. A Changes one would be checked here against empty tables but applied
        // on top of the live ones, so what RefillSide needs could fail after they changed.
        CheckFullScope(latest, latestAt, "upstream-rows");
        CheckFullScope(table, tableAt, "downstream");
        if (TSpec.HasSideState) CheckKeptRowsHaveState(latest, table);

        // Everything is checked: from here on nothing fails on the bytes.
        if (TSpec.HasSideState) _side!.RestoreSnapshot(side);
        _latest.Restore(latest);
        _table.Restore(table);
        _rowsApplied = BinaryPrimitives.ReadInt64LittleEndian(snapshot[16..]);
        if (TSpec.HasSideState) RefillSide();
    }

    /// <summary>Refuses a nested table snapshot (checked already: at least its header long) that is not of scope Full.</summary>
    private static void CheckFullScope(ReadOnlySpan<byte> table, int at, string which)
    {
        // "KSTB" layout (StateTable.Snapshot.cs): the scope is the byte at +6.
        if (table[6] != (byte)SnapshotScope.Full) ThrowBad(at + 6, $"the {which} table snapshot has scope {table[6]}, not Full (0): the upsert snapshot holds its tables whole");
    }

    /// <summary>
    /// What <see cref="RefillSide"/> needs, checked on copies of the two tables before the restore changes
    /// anything: every kept upstream row that passes the filter has its downstream key's state.
    /// </summary>
    private static void CheckKeptRowsHaveState(ReadOnlySpan<byte> latest, ReadOnlySpan<byte> table)
    {
        var rows = new StateTable<TUpstreamKey, TEvent, UpstreamHasher>(TSpec.Name, TSpec.StateFingerprint, 16, trackRemovals: false);
        rows.Restore(latest);
        var keys = new StateTable<TKey, UpsertSlot<TState>, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>(TSpec.Name, TSpec.StateFingerprint, 16, trackRemovals: false);
        keys.Restore(table);
        foreach (ref var entry in rows)
        {
            ref var row = ref entry.State;
            if (TSpec.Filter(row) && !keys.ContainsKey(TSpec.KeyOf(row))) ThrowBad(0, "a kept upstream row has no downstream state");
        }
    }

    /// <summary>Leaderboards are not serialized (they are exact over the kept rows): refill them after a restore.</summary>
    private void RefillSide()
    {
        foreach (ref var entry in _latest)
        {
            ref var row = ref entry.State;
            if (!TSpec.Filter(row)) continue;
            ref var slot = ref _table.GetValueRefOrNullRef(TSpec.KeyOf(row));
            if (Unsafe.IsNullRef(ref slot)) ThrowBad(0, "a kept upstream row has no downstream state");
            TSpec.UpdateSide(_side!, ref slot.Agg, row);
        }
    }

    private static void WriteTable<TK, TS, TH>(ArrayBufferWriter<byte> body, StateTable<TK, TS, TH> table)
        where TK : unmanaged, IEquatable<TK>
        where TS : unmanaged
        where TH : struct, IKeyHasher<TK>
    {
        body.GetSpan(4);
        body.Advance(4);
        var lengthAt = body.WrittenCount - 4;
        var length = table.WriteSnapshot(body, SnapshotScope.Full);
        BinaryPrimitives.WriteInt32LittleEndian(System.Runtime.InteropServices.MemoryMarshal.AsMemory(body.WrittenMemory).Span[lengthAt..], length);
    }

    private static ReadOnlySpan<byte> ReadTable(ReadOnlySpan<byte> snapshot, ref int at, int bodyEnd)
    {
        if (at + 4 > bodyEnd) ThrowBad(at, "a table length runs past the end");
        var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot[at..]);
        at += 4;
        if (length < 0 || at + length > bodyEnd) ThrowBad(at - 4, $"table length {length} runs past the end");
        var table = snapshot.Slice(at, length);
        at += length;
        return table;
    }

    [DoesNotReturn]
    private static void ThrowBad(int offset, string reason) =>
        throw new InvalidDataException($"upsert snapshot of aggregation '{TSpec.Name}' at offset {offset}: {reason}");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLost(in TKey key) =>
        throw new InvalidOperationException($"aggregation '{TSpec.Name}': key {key} lost its state while an upstream row still counted for it (state corrupted)");

    /// <summary>The spec's upstream-identity hash as a state-table hasher.</summary>
    private readonly struct UpstreamHasher : IKeyHasher<TUpstreamKey>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Hash(in TUpstreamKey key) => TSpec.HashUpstreamKey(key);
    }

    /// <summary>An allocation-free enumerator of rows, built from the state as it goes.</summary>
    public ref struct RowEnumerator
    {
        private StateTable<TKey, UpsertSlot<TState>, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.Enumerator _inner;
        private TRow _current;
        private readonly SideState? _side;

        internal RowEnumerator(StateTable<TKey, UpsertSlot<TState>, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.Enumerator inner, SideState? side)
        {
            _inner = inner;
            _current = default!;
            _side = side;
        }

        /// <summary>The current row.</summary>
        public readonly TRow Current => _current;

        /// <summary>Moves to the next key's row.</summary>
        public bool MoveNext()
        {
            if (!_inner.MoveNext()) return false;
            ref var entry = ref _inner.Current;
            TSpec.ToRow(entry.Key, entry.State.Agg, 0, 0, out _current);
            if (TSpec.HasSideState) TSpec.SideToRow(_side!, entry.State.Agg, ref _current);
            return true;
        }

        /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
        public readonly RowEnumerator GetEnumerator() => this;
    }
}
