using System.Buffers;
using System.Runtime.CompilerServices;
using Kernel.Ring;
using Kernel.State;

namespace Kernel.Operators;

/// <summary>
/// Runs an unwindowed keyed aggregation: filter → key → fold, fused into one loop over a batch,
/// with the state in an open-addressing <see cref="StateTable{TKey, TState, THasher}"/>. The spec is
/// a struct type argument, so the JIT specializes this class per aggregation and inlines the
/// spec's static members: no virtual call, allocation, boxing or lock per event.
/// </summary>
/// <remarks>Single-threaded: the ring's processor (or the caller of <see cref="Apply"/>) owns it.</remarks>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TKey">The grouping key.</typeparam>
/// <typeparam name="TState">The running state per key.</typeparam>
/// <typeparam name="TRow">The output row.</typeparam>
/// <typeparam name="TSpec">The compiled aggregation (generated).</typeparam>
public sealed class KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> : IBatchHandler<TEvent>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    // Events between asking for a slot and folding into it: enough to cover a cache miss at this
    // loop's pace, few enough that the slot is still in L1 when used.
    private const int PrefetchDistance = 8;

    private readonly StateTable<TKey, TState, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> _table;
    private readonly IControlListener? _control;
    private readonly SideState? _side;   // [side-state] sketches beside the table; null unless TSpec.HasSideState
    private long _eventsSeen;
    private long _watermark = long.MinValue;

    /// <summary>Creates the operator with an empty state.</summary>
    /// <param name="initialCapacity">Keys to hold before the table first grows.</param>
    /// <param name="control">Told about barriers and end of input met in the ring; may be null.</param>
    public KeyedAggregator(int initialCapacity = 1024, IControlListener? control = null)
    {
        _table = new(TSpec.Name, TSpec.StateFingerprint, initialCapacity);
        _control = control;
        if (TSpec.HasSideState) _side = TSpec.CreateSideState();   // [side-state]
    }

    /// <summary>The number of keys held.</summary>
    public int Count => _table.Count;

    /// <summary>Events seen (before the filter).</summary>
    public long EventsSeen => _eventsSeen;

    /// <summary>The last in-band watermark met in the ring (<see cref="long.MinValue"/> before any).</summary>
    public long Watermark => _watermark;

    /// <summary>Folds a batch of events into the state (batch mode, no ring).</summary>
    public void Apply(ReadOnlySpan<TEvent> events)
    {
        var table = _table;
        for (var i = 0; i < events.Length; i++)
        {
            // Ask for the entry of the event PrefetchDistance ahead: by the time the loop folds it,
            // its (random) slot is in cache, instead of each fold waiting for its own miss.
            if (i + PrefetchDistance < events.Length) table.Prefetch(TSpec.KeyOf(events[i + PrefetchDistance]));
            ref readonly var e = ref events[i];
            if (!TSpec.Filter(e)) continue;
            Fold(table, e);
        }
        _eventsSeen += events.Length;
    }

    /// <inheritdoc/>
    public void OnBatch(ReadOnlySpan<RingEntry<TEvent>> entries, long firstSequence)
    {
        var table = _table;
        var seen = 0L;   // counted locally, added to _eventsSeen before a control entry and at the end
        for (var i = 0; i < entries.Length; i++)
        {
            // As in Apply; a control entry's (default) event only costs a useless hint.
            if (i + PrefetchDistance < entries.Length) table.Prefetch(TSpec.KeyOf(entries[i + PrefetchDistance].Event));
            ref readonly var entry = ref entries[i];
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
        _eventsSeen += seen;
    }

    /// <summary>The row of <paramref name="key"/>, if the key has seen an event.</summary>
    public bool TryGet(in TKey key, out TRow row)
    {
        ref var state = ref _table.GetValueRefOrNullRef(key);
        if (Unsafe.IsNullRef(ref state))
        {
            row = default!;
            return false;
        }
        TSpec.ToRow(key, state, 0, 0, out row);
        if (TSpec.HasSideState) TSpec.SideToRow(_side!, state, ref row);   // [side-state]
        return true;
    }

    /// <summary>Enumerates every key's current row (no order); the state must not change meanwhile.</summary>
    public RowEnumerator GetRows() => new(_table.GetEnumerator(), _side);

    /// <summary>
    /// Writes the state (or its changes since the last snapshot) as bytes; see <see cref="StateTable{TKey, TState, THasher}.WriteSnapshot"/>.
    /// A spec with sketches appends its side state (always whole) and the table's length.
    /// </summary>
    public int WriteSnapshot(IBufferWriter<byte> output, SnapshotScope scope)
    {
        var length = _table.WriteSnapshot(output, scope);
        if (TSpec.HasSideState) length += SideStateSnapshot.Write(output, _side!, length);   // [side-state]
        return length;
    }

    /// <summary>Restores a snapshot written by <see cref="WriteSnapshot"/>; refuses one of another state fingerprint.</summary>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        if (TSpec.HasSideState) snapshot = SideStateSnapshot.Read(snapshot, _side!, TSpec.Name);   // [side-state]
        _table.Restore(snapshot);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Fold(StateTable<TKey, TState, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> table, in TEvent e)
    {
        var key = TSpec.KeyOf(e);
        ref var state = ref table.GetValueRefOrAdd(key, out var added);
        if (added) TSpec.Init(out state);
        TSpec.Update(ref state, e);
        if (TSpec.HasSideState) TSpec.UpdateSide(_side!, ref state, e);   // [side-state]
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
                _control?.OnBarrier(entry.Value, sequence);
                break;
            case EntryKind.EndOfInput:
                _control?.OnEndOfInput(entry.SourceId, sequence);
                break;
        }
    }

    /// <summary>An allocation-free enumerator of rows, built from the state as it goes.</summary>
    public ref struct RowEnumerator
    {
        private StateTable<TKey, TState, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.Enumerator _inner;
        private TRow _current;
        private readonly SideState? _side;

        internal RowEnumerator(StateTable<TKey, TState, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>.Enumerator inner, SideState? side)
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
            TSpec.ToRow(entry.Key, entry.State, 0, 0, out _current);
            if (TSpec.HasSideState) TSpec.SideToRow(_side!, entry.State, ref _current);   // [side-state]
            return true;
        }

        /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
        public readonly RowEnumerator GetEnumerator() => this;
    }
}
