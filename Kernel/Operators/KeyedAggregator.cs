using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Ring;
using Kernel.State;

namespace Kernel.Operators;

/// <summary>
/// Runs an unwindowed keyed aggregation: filter → key → fold, fused into one loop over a batch,
/// with the state in an open-addressing <see cref="StateTable{TKey, TState, THasher}"/>. The spec is
/// a struct type argument, so the JIT specializes this class per aggregation and inlines the
/// spec's static members: no virtual call, allocation, boxing or lock per event.
/// </summary>
/// <remarks>
/// Single-threaded: the ring's processor (or the caller of <see cref="Apply"/>) owns it. With an
/// <see cref="Kernel.Checkpoints.OperatorParticipant"/> as its control listener it is checkpointed,
/// incrementally in a durable pipeline (only the keys changed since the previous barrier are written
/// to the LSM store; <c>KeyedAggregator.Incremental.cs</c>), and with
/// <see cref="KeyedAggregatorOptions.StateBudgetEntries"/> idle keys leave memory for that store
/// (<c>KeyedAggregator.Spill.cs</c>, <c>docs/state-and-memory.md</c>). With a change sink
/// (<see cref="KeyedAggregator(KeyedAggregatorOptions, IRowSink{TRow})"/>) it sends the rows of the keys each
/// batch changed, once per key, so that another aggregation or a subscriber follows it live
/// (<c>KeyedAggregator.Changes.cs</c>).
/// </remarks>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TKey">The grouping key.</typeparam>
/// <typeparam name="TState">The running state per key.</typeparam>
/// <typeparam name="TRow">The output row.</typeparam>
/// <typeparam name="TSpec">The compiled aggregation (generated).</typeparam>
public sealed partial class KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> : IBatchHandler<TEvent>, IReplayBatchTarget<TEvent>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    // Events between asking for a slot and folding into it: enough to cover a cache miss at this
    // loop's pace, few enough that the slot is still in L1 when used.
    private const int PrefetchDistance = 8;

    private readonly StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> _table;
    private readonly IControlListener? _control;
    private readonly SideState? _side;   // [side-state] sketches beside the table; null unless TSpec.HasSideState
    private long _eventsSeen;
    private long _watermark = long.MinValue;

    // True while journal replay feeds a batch: Apply then runs the direct loop's fully optimized copy
    // (ApplyDirectReplayed), since a replay runs before tiered compilation has optimized the live one.
    private bool _replaying;

    /// <summary>Creates the operator with an empty state.</summary>
    /// <param name="initialCapacity">Keys to hold before the table first grows.</param>
    /// <param name="control">Told about barriers and end of input met in the ring; may be null.</param>
    public KeyedAggregator(int initialCapacity = 1024, IControlListener? control = null)
        : this(new KeyedAggregatorOptions { InitialCapacity = initialCapacity, Control = control })
    {
    }

    /// <summary>Creates the operator with an empty state and the given settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range, or a state budget is set without what it needs (the message says which).</exception>
    public KeyedAggregator(KeyedAggregatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _table = new(TSpec.Name, TSpec.StateFingerprint, options.InitialCapacity);
        _control = options.Control;
        if (TSpec.HasSideState) _side = TSpec.CreateSideState();   // [side-state]
        InitSpill(options);   // [spill] KeyedAggregator.Spill.cs
    }

    /// <summary>The number of keys held.</summary>
    public int Count => _table.Count;

    /// <summary>Events seen (before the filter).</summary>
    public long EventsSeen => _eventsSeen;

    /// <summary>The keys the table holds before it next grows (the parallel batch run sizes its workers' tables by it).</summary>
    internal int TableCapacity => _table.Capacity;

    /// <summary>True while the table keeps its entries lined (StateTable's lined direct mode); for tests.</summary>
    internal bool TableLined => _table.IsLined;

    /// <summary>
    /// Merges every key of <paramref name="other"/> into this operator with the spec's <c>Merge</c>
    /// (a key new here starts from <c>Init</c>) and adds its events seen: the end of a parallel batch
    /// run, whose workers folded disjoint shares of one input. Only for specs without side state.
    /// Call it between batches, on the thread that owns this operator.
    /// </summary>
    internal void MergeFrom(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> other)
    {
        if (_spilled != 0 || other._spilled != 0) throw new InvalidOperationException($"aggregation '{TSpec.Name}': a parallel batch run cannot merge operators with keys spilled to the LSM store");
        foreach (ref var entry in other._table)
        {
            ref var state = ref _table.GetValueRefOrAdd(entry.Key, out var added);
            if (added) TSpec.Init(out state);
            TSpec.Merge(ref state, entry.State);
        }
        _eventsSeen += other._eventsSeen;
        if (_changes is not null) EmitChanges();
    }

    /// <summary>The last in-band watermark met in the ring (<see cref="long.MinValue"/> before any).</summary>
    public long Watermark => _watermark;

    void IReplayBatchTarget<TEvent>.ApplyReplayed(ReadOnlySpan<TEvent> events)
    {
        // Picks the replay's copy of the direct loop (ApplyDirectReplayed); the result is the same either way.
        _replaying = true;
        Apply(events);
        _replaying = false;
    }

    void IReplayBatchTarget<TEvent>.TickReplayed() { }

    /// <summary>Folds a batch of events into the state (batch mode, no ring).</summary>
    public void Apply(ReadOnlySpan<TEvent> events)
    {
        var table = _table;
        var i = 0;
        // Direct mode: the loop folds hits and stops at the first event it cannot take; that one is
        // folded here through the table (which may add the key, grow or leave direct mode), then the
        // loop resumes with a fresh view.
        while (i < events.Length && TryDirect(table, out var view))
        {
            i = _replaying ? ApplyDirectReplayed(view, events, i) : ApplyDirect(view, events, i);
            if (i == events.Length) break;
            Fold(table, events[i]);
            i++;
        }
        if (i < events.Length) ApplyHashed(table, events, i);
        _eventsSeen += events.Length;
        if (_changes is not null) EmitChanges();   // once per batch, never per event (KeyedAggregator.Changes.cs)
    }

    // The loops of each mode are methods of their own, so that each is compiled (and profiled by
    // tiered PGO) for the events it actually sees: a table that stays direct never runs the hashed loop.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ApplyHashed(StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> table, ReadOnlySpan<TEvent> events, int i)
    {
        for (; i < events.Length; i++)
        {
            // Ask for the entry of the event PrefetchDistance ahead: by the time the loop folds it,
            // its (random) slot is in cache, instead of each fold waiting for its own miss.
            if (i + PrefetchDistance < events.Length) table.Prefetch(TSpec.KeyOf(events[i + PrefetchDistance]));
            ref readonly var e = ref events[i];
            if (!TSpec.Filter(e)) continue;
            Fold(table, e);
        }
    }

    /// <summary>
    /// The direct-mode loop of <see cref="Apply"/> from event <paramref name="i"/>: folds every event whose
    /// key <paramref name="view"/> holds (already dirty) and returns the index of the first event that
    /// passes the filter and is not such a hit (the caller folds it through the table), or the batch's length.
    /// </summary>
    /// <remarks>
    /// The loop makes no call: the table's add, growth and dirty-list code stays in the caller, so the
    /// JIT keeps the loop's index, event and view in registers (with the slow path in the loop it kept
    /// the index on the stack and reloaded it every event).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ApplyDirect(StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectView view, ReadOnlySpan<TEvent> events, int i)
        => FoldDirectRun(view, events, i);

    /// <summary>
    /// <see cref="ApplyDirect"/> for journal replay (<see cref="_replaying"/>): the same loop, compiled fully
    /// optimized on its first call instead of through tiered compilation.
    /// </summary>
    /// <remarks>
    /// A recovery replays in the first second of a process, before tiered compilation has replaced the
    /// loop's tier-0 / on-stack-replacement code (as in <c>WindowedAggregator.ApplyPanesDirectReplayed</c>,
    /// whose notes give the figures). The live loop stays tiered: code optimized at once has no profile to
    /// guide it and was slower in steady runs.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private int ApplyDirectReplayed(StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectView view, ReadOnlySpan<TEvent> events, int i)
        => FoldDirectRun(view, events, i);

    /// <summary>The loop of <see cref="ApplyDirect"/> and <see cref="ApplyDirectReplayed"/>, inlined into each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FoldDirectRun(StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectView view, ReadOnlySpan<TEvent> events, int i)
    {
        // Every event but the last PrefetchDistance asks for the entry of the event that far ahead. The
        // loop's bound keeps both reads inside the batch, so they go unchecked, and the prefetch needs no
        // test of its own (see DirectView.PrefetchAt): about a third of the loop's instructions before. Its
        // address is computed from a base taken once per batch (DirectView.PrefetchBase), not per event.
        // The loop walks a reference, not an index: an index costs a multiply and an add per event to
        // address its event (48 bytes, say), the reference one add; the index is recovered on the way out.
        ref var first = ref MemoryMarshal.GetReference(events);
        var end = events.Length - PrefetchDistance;
        if (i < end)
        {
            // i is never negative: (uint) spares a sign extension.
            ref TEvent e = ref Unsafe.Add(ref first, (nint)(uint)i);
            ref TEvent stop = ref Unsafe.Add(ref first, (nint)(uint)end);
            var prefetchBase = view.PrefetchBase;
            do
            {
                StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectView.PrefetchAt(prefetchBase, DirectIndex(Unsafe.Add(ref e, PrefetchDistance)));
                if (!TryFoldHit(view, e)) return IndexOf(ref first, ref e);
                e = ref Unsafe.Add(ref e, 1);
            }
            while (Unsafe.IsAddressLessThan(ref e, ref stop));
            i = end;
        }
        for (; (uint)i < (uint)events.Length; i++)
        {
            if (!TryFoldHit(view, events[i])) return i;
        }
        return events.Length;
    }

    /// <inheritdoc/>
    public void OnBatch(ReadOnlySpan<RingEntry<TEvent>> entries, long firstSequence)
    {
        var table = _table;
        var i = 0;
        var seen = 0L;   // counted locally, added to _eventsSeen before a control entry and at the end
        // As in Apply: the direct loop stops at an event it cannot take and at a control entry, both handled here.
        while (i < entries.Length && TryDirect(table, out var view))
        {
            var stop = OnBatchDirect(view, entries, i);
            seen += stop - i;   // every entry the loop passed is an event
            i = stop;
            if (i == entries.Length) break;
            ref readonly var entry = ref entries[i];
            if (entry.Kind == EntryKind.Event)
            {
                seen++;
                Fold(table, entry.Event);   // the loop stopped at it: it passed the filter
            }
            else
            {
                _eventsSeen += seen;
                seen = 0;
                // A barrier's listener may snapshot or restore the table: the next round takes a fresh view.
                OnControl(entry, firstSequence + i);
            }
            i++;
        }
        if (i < entries.Length) seen = OnBatchHashed(table, entries, firstSequence, i, seen);
        _eventsSeen += seen;
        if (_changes is not null) EmitChanges();   // once per batch, never per event (KeyedAggregator.Changes.cs)
    }

    /// <summary>The loop of <see cref="OnBatch"/> for a hashed table, from entry <paramref name="i"/>; returns the events seen since the last control entry.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long OnBatchHashed(StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> table, ReadOnlySpan<RingEntry<TEvent>> entries, long firstSequence, int i, long seen)
    {
        for (; i < entries.Length; i++)
        {
            // As in Apply; a control entry's (default) event only costs a useless hint.
            if (i + PrefetchDistance < entries.Length) table.Prefetch(TSpec.KeyOf(entries[i + PrefetchDistance].Event));
            ref readonly var entry = ref entries[i];
            RingReadAhead.Hint(in entry);
            if (entry.Kind == EntryKind.Event)
            {
                seen++;
                if (TSpec.Filter(entry.Event)) Fold(table, entry.Event);
            }
            else
            {
                _eventsSeen += seen;
                seen = 0;
                OnControl(entry, firstSequence + i);
            }
        }
        return seen;
    }

    /// <summary>
    /// The direct-mode loop of <see cref="OnBatch"/> from entry <paramref name="i"/>, as <see cref="ApplyDirect"/>:
    /// returns the index of the first control entry or of the first event that passes the filter and is
    /// not a hit, or the batch's length. Every entry before the returned index is an event.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int OnBatchDirect(StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectView view, ReadOnlySpan<RingEntry<TEvent>> entries, int i)
    {
        // As in ApplyDirect; a control entry's (default) event only costs a useless hint.
        ref var first = ref MemoryMarshal.GetReference(entries);
        var end = entries.Length - PrefetchDistance;
        if (i < end)
        {
            ref var entry = ref Unsafe.Add(ref first, (nint)(uint)i);
            ref var stop = ref Unsafe.Add(ref first, (nint)(uint)end);
            var prefetchBase = view.PrefetchBase;
            do
            {
                StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectView.PrefetchAt(prefetchBase, DirectIndex(Unsafe.Add(ref entry, PrefetchDistance).Event));
                // The slots themselves come from memory (the producer streams them there): ask ahead.
                RingReadAhead.Hint(in entry);
                if (entry.Kind != EntryKind.Event || !TryFoldHit(view, entry.Event)) return IndexOf(ref first, ref entry);
                entry = ref Unsafe.Add(ref entry, 1);
            }
            while (Unsafe.IsAddressLessThan(ref entry, ref stop));
            i = end;
        }
        for (; (uint)i < (uint)entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Kind != EntryKind.Event || !TryFoldHit(view, entry.Event)) return i;
        }
        return entries.Length;
    }

    /// <summary>The index of <paramref name="item"/> in the span that starts at <paramref name="first"/> (the way out of a loop that walks a reference).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IndexOf<T>(ref T first, ref T item) => (int)((nuint)Unsafe.ByteOffset(ref first, ref item) / (nuint)Unsafe.SizeOf<T>());

    /// <summary>The row of <paramref name="key"/>, if the key has seen an event.</summary>
    public bool TryGet(in TKey key, out TRow row)
    {
        ref var state = ref _table.GetValueRefOrNullRef(key);
        if (Unsafe.IsNullRef(ref state))
        {
            // [spill] a key not in memory may be in the LSM store (never the case of a hot key)
            if (_spilled != 0 && TryReadSpilled(key, out var stored))
            {
                TSpec.ToRow(key, stored, 0, 0, out row);
                return true;
            }
            row = default!;
            return false;
        }
        TSpec.ToRow(key, state, 0, 0, out row);
        if (TSpec.HasSideState) TSpec.SideToRow(_side!, state, ref row);   // [side-state]
        return true;
    }

    /// <summary>
    /// Enumerates every key's current row (no order); the state must not change meanwhile. Keys spilled
    /// to the LSM store (<see cref="KeyedAggregatorOptions.StateBudgetEntries"/>) come after the ones in
    /// memory, read from the store: dispose the enumerator (<c>foreach</c> does) to release its iterator.
    /// </summary>
    public RowEnumerator GetRows() => new(this);

    /// <summary>
    /// Writes the state (or its changes since the last snapshot) as bytes; see <see cref="StateTable{TKey, TState, THasher}.WriteSnapshot"/>.
    /// A spec with sketches appends its side state (always whole) and the table's length.
    /// </summary>
    public int WriteSnapshot(IBufferWriter<byte> output, SnapshotScope scope)
    {
        if (scope == SnapshotScope.Full) UnspillAll();   // [spill] a full snapshot is written from memory
        var length = _table.WriteSnapshot(output, scope);
        if (TSpec.HasSideState) length += SideStateSnapshot.Write(output, _side!, length);   // [side-state]
        return length;
    }

    /// <summary>Restores a snapshot written by <see cref="WriteSnapshot"/>; refuses one of another state fingerprint.</summary>
    /// <remarks>The side state and the table are both checked before either changes: bytes it rejects leave the operator as it was.</remarks>
    /// <exception cref="InvalidDataException">The bytes are damaged or were written under another state fingerprint.</exception>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        ReadOnlySpan<byte> side = default;
        if (TSpec.HasSideState) snapshot = SideStateSnapshot.Split(snapshot, TSpec.Name, out side);   // [side-state]
        StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.CheckSnapshot(snapshot, TSpec.Name, TSpec.StateFingerprint);
        // [side-state] after the table's checks: a snapshot of other sketch settings fails its fingerprint check, not a sketch pool
        if (TSpec.HasSideState) SideStateSnapshot.Check(side, TSpec.CreateSideState()!);
        // [spill] a full snapshot replaces everything (spilled keys included); changes apply on top of every key
        if (_spilled != 0 && snapshot[6] == (byte)SnapshotScope.Full) _spilled = 0;
        else UnspillAll();
        if (TSpec.HasSideState) _side!.RestoreSnapshot(side);   // [side-state]
        _table.Restore(snapshot);
    }

    // Direct mode (dense integer keys, see StateTable): the loops fold a key already held through a
    // view of the table's arrays taken once per batch, not reloaded per event; a new key (or one outside
    // the slots) goes through Fold, which may grow the table or leave direct mode, and then a new view is taken.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryDirect(StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> table, out StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectView view)
    {
        if (StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.SupportsDirect) return table.TryGetDirectView(out view);
        view = default;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong DirectIndex(in TEvent e) => StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectIndexOf(TSpec.KeyOf(e));

    /// <summary>
    /// The hit path of the direct loops: folds <paramref name="e"/> into the state <paramref name="view"/>
    /// holds for its key, or skips it when the filter drops it; false (nothing done) when the key is not a hit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFoldHit(in StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.DirectView view, in TEvent e)
    {
        if (!TSpec.Filter(e)) return true;
        var index = DirectIndex(e);
        if (!view.IsHit(index)) return false;
        ref var state = ref view.StateAt(index);
        TSpec.Update(ref state, e);
        if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref state, e);   // [side-state]
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Fold(StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> table, in TEvent e)
    {
        var key = TSpec.KeyOf(e);
        ref var state = ref table.GetValueRefOrAdd(key, out var added);
        if (added) InitAdded(key, ref state);
        TSpec.Update(ref state, e);
        if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref state, e);   // [side-state]
    }

    /// <summary>
    /// A new key starts fresh, unless keys were spilled: then it may be one of them (KeyedAggregator.Spill.cs).
    /// Out of line, so the per-event loops carry one call on their new-key branch and nothing else.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void InitAdded(TKey key, ref TState state)
    {
        if (_spilled == 0) TSpec.Init(out state);
        else FaultIn(key, ref state);   // [spill]
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnControl(in RingEntry<TEvent> entry, long sequence)
    {
        switch (entry.Kind)
        {
            case EntryKind.Watermark:
                if (entry.Value > _watermark) _watermark = entry.Value;
                break;
            case EntryKind.Barrier:
                if (_changes is not null) EmitChanges();   // the changes before the barrier go out before it
                _control?.OnBarrier(entry.Value, sequence);
                break;
            case EntryKind.EndOfInput:
                if (_changes is not null) EmitChanges();
                _control?.OnEndOfInput(entry.SourceId, sequence);
                break;
        }
    }

    /// <summary>
    /// An enumerator of rows, built from the state as it goes: allocation-free over the keys in memory,
    /// then (only when keys are spilled) over the LSM store's entries of the keys not in memory.
    /// </summary>
    public ref struct RowEnumerator
    {
        private StateTable<TKey, TState, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.Enumerator _inner;
        private readonly KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> _owner;
        private Kernel.Storage.Lsm.LsmIterator? _spilled;
        private bool _inStore;
        private TRow _current;

        internal RowEnumerator(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> owner)
        {
            _inner = owner._table.GetEnumerator();
            _owner = owner;
            _current = default!;
        }

        /// <summary>The current row.</summary>
        public readonly TRow Current => _current;

        /// <summary>Moves to the next key's row.</summary>
        public bool MoveNext()
        {
            if (!_inStore)
            {
                if (_inner.MoveNext())
                {
                    ref var entry = ref _inner.Current;
                    TSpec.ToRow(entry.Key, entry.State, 0, 0, out _current);
                    if (TSpec.HasSideState) TSpec.SideToRow(_owner._side!, entry.State, ref _current);   // [side-state]
                    return true;
                }
                if (_owner._spilled == 0) return false;
                _inStore = true;
                _spilled = _owner.OpenSpilled();
                _spilled.SeekToFirst();
            }
            // [spill] the keys the store holds and memory does not (a spec with sketches never spills)
            var it = _spilled!;
            while (it.Valid)
            {
                _owner.DecodeSpilled(it.Key, it.Value, out var key, out var state);
                it.Next();
                if (_owner._table.ContainsKey(key)) continue;
                TSpec.ToRow(key, state, 0, 0, out _current);
                return true;
            }
            return false;
        }

        /// <summary>Releases the store iterator, if the enumeration reached spilled keys.</summary>
        public void Dispose()
        {
            _spilled?.Dispose();
            _spilled = null;
        }

        /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
        public readonly RowEnumerator GetEnumerator() => this;
    }
}
