using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.State;

namespace Kernel.Operators;

// Dense sliding stacks: the two-stacks aggregation of WindowedAggregator.Stacks.cs (front suffixes, a back),
// held as plain arrays of aggregates indexed by key instead of state tables, when every table of a window
// is in direct mode (key k in slot k) and no fired window is kept (Final without lateness, no sketches,
// no periodic bookkeeping): the windows are then only ever emitted, straight from the oldest suffix merged
// with the back. A stack entry is the aggregate alone (16 bytes for the sliding case of `windows`,
// against a table entry's 32: key, aggregate, revision and flag) with one bit per key for "held": no
// control byte, no dirty list, no key, no row bookkeeping to write. Each merge is the table path's, step
// for step (Init then Merge into a key new to the target), so the rows are the same. The stacks are a
// cache of the panes, as the table stacks are: a restore, a stale pane or a change of mode drops them and
// the next fire pushes the window's panes again.
// A pushed pane's aggregates are also copied into a stack entry while the push reads them (the pane's table
// was last written a watermark bound earlier and comes from memory): the flip then reads those 16-byte entries
// instead of the pane's 32-byte table entries, and turns each copy into its suffix in place, with no fresh
// entry to fetch for writing.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private DenseAggregates[] _denseFront = [];   // suffixes, oldest first from _denseFrontHead
    private int _denseFrontHead;
    private int _denseFrontCount;
    private DenseAggregates? _denseBack;           // the merge of the panes pushed since the last flip
    private DenseAggregates[] _denseCopies = [];   // per pushed pane (_backPanes[k]): its aggregates as pushed, the flip's input
    private int _denseCopyCount;
    private readonly Stack<DenseAggregates> _densePool = new();
    private int _denseSlots;                       // the key range every dense stack entry covers
    private bool _denseMode;                       // the stacks in use are the dense ones

    /// <summary>Aggregates of keys 0..slots−1, key k's in <see cref="Aggs"/>[k] when bit k of <see cref="Held"/> is set.</summary>
    private sealed class DenseAggregates(int slots)
    {
        public readonly TState[] Aggs = new TState[slots];
        public readonly ulong[] Held = new ulong[(slots + 63) >> 6];
        public long Start;
    }

    /// <summary>True when the settings allow the dense stacks at all (checked per fire for the tables: <see cref="DenseWindow"/>).</summary>
    private bool DenseAllowed =>
        StateTable<TKey, WindowSlot<TState>, Hasher>.SupportsDirect && !TSpec.HasSideState && _emit == EmitMode.Final && _lateness == 0;

    /// <summary>
    /// Whether the window [start, end) fires through the dense stacks: allowed, no fired window nor periodic
    /// bookkeeping held, and every pane of the window direct. Switches the stacks' mode (dropping them)
    /// when it changes, and widens the dense entries when a pane has more slots than they cover.
    /// </summary>
    private bool DenseWindow(long start, long end)
    {
        var dense = DenseAllowed && _firedCount == 0 && _revCount == 0;
        var slots = 0;
        for (var i = 0; dense && i < _paneCount && _panes[i].Start < end; i++)
        {
            var table = _panes[i].Table;
            if (_panes[i].Start < start) continue;
            if (!table.IsDirect) dense = false;
            else slots = Math.Max(slots, table.Slots);
        }
        if (dense != _denseMode)
        {
            ResetStacks();
            _denseMode = dense;
        }
        if (dense && slots > _denseSlots)
        {
            ResetStacks();
            _densePool.Clear();
            _denseSlots = slots;
        }
        return dense;
    }

    /// <summary>
    /// Preallocates the dense stack entries a window needs (a suffix or a pane copy per pane of a window, the back
    /// and two in passing), so the first hour of a stream does not allocate them.
    /// </summary>
    private void PreallocateDense(int count)
    {
        PreallocateStackLists(count);
        if (!DenseAllowed || _size == _pane || _pool.Count == 0) return;
        _denseSlots = _pool.Peek().Table.Slots;
        _denseCopies = new DenseAggregates[(int)Math.Min(_size / _pane + 2, 1 << 16)];
        count = (int)Math.Min(count, _size / _pane + 4);
        for (var i = 0; i < count; i++) _densePool.Push(new DenseAggregates(_denseSlots));
        _denseFront = new DenseAggregates[_backPanes.Length];
    }

    private DenseAggregates RentDense(long start)
    {
        var d = _densePool.Count > 0 ? _densePool.Pop() : new DenseAggregates(_denseSlots);
        d.Start = start;
        return d;
    }

    private void ReturnDense(DenseAggregates d)
    {
        if (d.Aggs.Length != _denseSlots) return;   // from before a widening: dropped
        Array.Clear(d.Held);
        _densePool.Push(d);
    }

    /// <summary>Drops the dense stacks (part of <see cref="ResetStacks"/>).</summary>
    private void ResetDenseStacks()
    {
        for (var i = 0; i < _denseFrontCount; i++)
        {
            ReturnDense(_denseFront[_denseFrontHead + i]);
            _denseFront[_denseFrontHead + i] = null!;
        }
        _denseFrontHead = 0;
        _denseFrontCount = 0;
        if (_denseBack is not null) ReturnDense(_denseBack);
        _denseBack = null;
        ReturnCopies(0, _denseCopyCount);
        _denseCopyCount = 0;
    }

    /// <summary>Returns the pane copies <paramref name="from"/>..<paramref name="to"/>−1 to the pool.</summary>
    private void ReturnCopies(int from, int to)
    {
        for (var k = from; k < to; k++)
        {
            ReturnDense(_denseCopies[k]);
            _denseCopies[k] = null!;
        }
    }

    /// <summary>
    /// <see cref="FireSlidingWindow"/> through the dense stacks: evicts, flips and pushes as it does, then
    /// emits the window's final rows from the oldest suffix merged with the back (<see cref="TryEmitMergedWindow"/>'s rows).
    /// </summary>
    private void FireSlidingDense(long start, long end)
    {
        if (!_stacksValid) ResetStacks();
        if (_backPanes.Length == 0)
        {
            var panes = (int)Math.Min(_size / _pane + 2, 1 << 16);
            _backPanes = new WindowBucket<TKey, TState, Hasher>[panes];
            _backStarts = new long[panes];
        }
        if (_denseFront.Length < _backPanes.Length) _denseFront = new DenseAggregates[_backPanes.Length];
        while (_denseFrontCount > 0 && _denseFront[_denseFrontHead].Start < start)
        {
            ReturnDense(_denseFront[_denseFrontHead]);
            _denseFront[_denseFrontHead] = null!;
            _denseFrontHead++;
            _denseFrontCount--;
        }
        if (_denseFrontCount == 0 && _backCount > 0 && _backStarts[0] < start) FlipDense(start);

        var from = Math.Max(_stackEnd, start);
        var any = false;
        StateTable<TKey, WindowSlot<TState>, Hasher>? pending = null;
        DenseAggregates? pendingCopy = null;
        for (var i = 0; i < _paneCount && _panes[i].Start < end; i++)
        {
            var pane = _panes[i];
            if (pane.Start < start) continue;
            any = true;
            if (pane.Start < from) continue;
            _denseBack ??= RentDense(pane.Start);
            // The last pane pushed (usually the only one: the window's newest) is pushed (and copied) by the
            // emission, key by key or 64 keys at a time, so the back's entries are read for the rows while they
            // are in L1. Every pushed pane gets a copy, the flip's input.
            if (pending is not null) PushDense(_denseBack, pendingCopy!, pending);
            pending = pane.Table;
            PushBackPane(pane);
            pendingCopy = RentDense(pane.Start);
            if (_denseCopies.Length < _backPanes.Length) Array.Resize(ref _denseCopies, _backPanes.Length);
            _denseCopies[_denseCopyCount++] = pendingCopy;
        }
        if (end > _stackEnd) _stackEnd = end;
        if (!any) return;
        var older = _denseFrontCount > 0 ? _denseFront[_denseFrontHead] : null;
        // Until the emission has pushed all of the pending pane the back is half merged: should the sink throw,
        // the next fire rebuilds the stacks from the panes.
        _stacksValid = false;
        EmitDenseWindow(older, _denseBack, pending, pendingCopy, start, end);
        _stacksValid = true;
        if (older is not null && older.Start < start + _slide)
        {
            _denseFront[_denseFrontHead] = null!;
            _denseFrontHead++;
            _denseFrontCount--;
            ReturnDense(older);
        }
    }

    /// <summary>
    /// Turns the pushed panes into dense front suffixes, newest first, skipping those before <paramref name="start"/>
    /// (as <see cref="Flip"/>): each pane's copy (its aggregates as pushed) becomes its suffix in place.
    /// </summary>
    private void FlipDense(long start)
    {
        Debug.Assert(_denseCopyCount == _backCount, "a dense copy per pushed pane");
        var keep = 0;
        while (keep < _backCount && _backStarts[keep] < start) keep++;
        var n = _backCount - keep;
        if (_denseFront.Length < n) _denseFront = new DenseAggregates[Math.Max(8, n * 2)];
        _denseFrontHead = 0;
        _denseFrontCount = n;
        DenseAggregates? newer = null;
        for (var j = _backCount - 1; j >= keep; j--)
        {
            var suffix = _denseCopies[j];
            _denseCopies[j] = null!;
            if (newer is null) SeedInPlace(suffix);
            else SeedAndMergeInPlace(suffix, newer);
            _denseFront[j - keep] = suffix;
            newer = suffix;
        }
        ReturnCopies(0, keep);
        _denseCopyCount = 0;
        if (_denseBack is not null) ReturnDense(_denseBack);
        _denseBack = null;
        Array.Clear(_backPanes, 0, _backCount);
        _backCount = 0;
    }

    /// <summary>
    /// Makes the pane copy <paramref name="into"/> the newest suffix in place: per key it holds, the table path's
    /// steps (Init, then Merge of the pane's aggregate).
    /// </summary>
    private static void SeedInPlace(DenseAggregates into)
    {
        ref var a0 = ref MemoryMarshal.GetArrayDataReference(into.Aggs);
        var held = into.Held;
        for (var w = 0; w < held.Length; w++)
        {
            var bits = held[w];
            var first = w << 6;
            if (bits == ulong.MaxValue)
            {
                for (var i = first; i < first + 64; i++) SeedFromCopy(ref Unsafe.Add(ref a0, i));
                continue;
            }
            while (bits != 0)
            {
                var i = first + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                SeedFromCopy(ref Unsafe.Add(ref a0, i));
            }
        }
    }

    /// <summary><paramref name="agg"/> (a pane's aggregate) merged into a fresh aggregate, in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SeedFromCopy(ref TState agg)
    {
        var pane = agg;
        TSpec.Init(out agg);
        TSpec.Merge(ref agg, pane);
    }

    /// <summary>
    /// Makes the pane copy <paramref name="into"/> the suffix of its pane and <paramref name="newer"/> in place, in one
    /// pass: per key, the table path's steps (Init, Merge of the newer suffix's if it holds the key, Merge of the
    /// pane's if it does).
    /// </summary>
    private static void SeedAndMergeInPlace(DenseAggregates into, DenseAggregates newer)
    {
        ref var a0 = ref MemoryMarshal.GetArrayDataReference(into.Aggs);
        ref var n0 = ref MemoryMarshal.GetArrayDataReference(newer.Aggs);
        var held = into.Held;
        var newerHeld = newer.Held;
        for (var w = 0; w < held.Length; w++)
        {
            var mine = held[w];
            var theirs = newerHeld[w];
            var first = w << 6;
            if ((mine & theirs) == ulong.MaxValue)
            {
                // 64 keys in a row held by both (dense ids): no bit to find.
                for (var i = first; i < first + 64; i++)
                {
                    ref var agg = ref Unsafe.Add(ref a0, i);
                    var pane = agg;
                    TSpec.Init(out agg);
                    TSpec.Merge(ref agg, Unsafe.Add(ref n0, i));
                    TSpec.Merge(ref agg, pane);
                }
                continue;
            }
            var all = mine | theirs;
            while (all != 0)
            {
                var bit = all & (0 - all);
                all ^= bit;
                ref var agg = ref Unsafe.Add(ref a0, first + BitOperations.TrailingZeroCount(bit));
                if ((mine & bit) == 0)
                {
                    TSpec.Init(out agg);
                    TSpec.Merge(ref agg, Unsafe.Add(ref n0, first + BitOperations.TrailingZeroCount(bit)));
                    continue;
                }
                var pane = agg;
                TSpec.Init(out agg);
                if ((theirs & bit) != 0) TSpec.Merge(ref agg, Unsafe.Add(ref n0, first + BitOperations.TrailingZeroCount(bit)));
                TSpec.Merge(ref agg, pane);
            }
            held[w] = mine | theirs;
        }
    }

    /// <summary>Sets <paramref name="agg"/>, for a key new to its stack entry, to <paramref name="from"/> merged into a fresh aggregate (the table path's Init, then Merge).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SeedFrom(ref TState agg, in TState from)
    {
        TSpec.Init(out agg);
        TSpec.Merge(ref agg, from);
    }

    /// <summary>A direct pane table's entry <paramref name="i"/> from slot 0's, in either layout (packed or lined).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref StateEntry<TKey, WindowSlot<TState>> Entry(ref StateEntry<TKey, WindowSlot<TState>> e0, int i)
        => ref StateTable<TKey, WindowSlot<TState>, Hasher>.DirectEntry(ref e0, i);

    /// <summary>A direct table's control byte for an empty slot.</summary>
    private const byte DirectEmpty = 0;

    /// <summary>True when none of the eight control bytes in <paramref name="group"/> is 0 (empty): eight keys in a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AllOccupied(ulong group) =>
        ((group - 0x0101010101010101UL) & ~group & 0x8080808080808080UL) == 0;

    /// <summary>
    /// Merges every entry of the direct table <paramref name="pane"/> into <paramref name="into"/> (a key new to it: Init,
    /// then Merge), and copies its aggregates into the empty <paramref name="copy"/>.
    /// </summary>
    private static void PushDense(DenseAggregates into, DenseAggregates copy, StateTable<TKey, WindowSlot<TState>, Hasher> pane)
    {
        var control = DirectControl(pane, into, out var entries);
        PushDenseGroups(into, copy, ref MemoryMarshal.GetArrayDataReference(control), ref entries.First, 0, control.Length);
    }

    /// <summary>The control bytes and entries of the direct table <paramref name="pane"/>, checked to be within <paramref name="into"/>'s slots.</summary>
    private static byte[] DirectControl(StateTable<TKey, WindowSlot<TState>, Hasher> pane, DenseAggregates into, out StateTable<TKey, WindowSlot<TState>, Hasher>.DirectEntriesRef entries)
    {
        if (!pane.TryGetDirectEntries(out var control, out entries) || control.Length > into.Aggs.Length)
            OperatorThrowHelper.ThrowOption("dense stacks", control.Length, "a pane pushed to the dense stacks must be direct and within their slots");
        return control;
    }

    /// <summary>
    /// Merges the entries in slots <paramref name="from"/>..<paramref name="to"/>−1 (whole groups of eight) of a direct
    /// pane (slot 0's control byte <paramref name="c0"/> and entry <paramref name="e0"/>) into <paramref name="into"/>
    /// (a key new to it: Init, then Merge), and copies them into <paramref name="copy"/> (aggregate and held bit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PushDenseGroups(DenseAggregates into, DenseAggregates copy, ref byte c0, ref StateEntry<TKey, WindowSlot<TState>> e0, int from, int to)
    {
        ref var a0 = ref MemoryMarshal.GetArrayDataReference(into.Aggs);
        ref var h0 = ref MemoryMarshal.GetArrayDataReference(into.Held);
        ref var p0 = ref MemoryMarshal.GetArrayDataReference(copy.Aggs);
        ref var q0 = ref MemoryMarshal.GetArrayDataReference(copy.Held);
        // Slot counts are powers of two ≥ 16: whole groups of eight control bytes, eight groups a Held word.
        for (var g = from; g < to; g += 8)
        {
            var occupied = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref c0, g));
            if (occupied == 0) continue;
            ref var held = ref Unsafe.Add(ref h0, g >> 6);
            ref var copied = ref Unsafe.Add(ref q0, g >> 6);
            if (AllOccupied(occupied))
            {
                // Eight keys in a row (dense ids), all held by the target or none: no bit to find.
                var group = 0xFFUL << g;   // g mod 64
                copied |= group;
                if ((held & group) == group)
                {
                    for (var i = g; i < g + 8; i++)
                    {
                        ref readonly var agg = ref Entry(ref e0, i).State.Agg;
                        Unsafe.Add(ref p0, i) = agg;
                        TSpec.Merge(ref Unsafe.Add(ref a0, i), agg);
                    }
                    continue;
                }
                if ((held & group) == 0)
                {
                    held |= group;
                    for (var i = g; i < g + 8; i++)
                    {
                        ref readonly var agg = ref Entry(ref e0, i).State.Agg;
                        Unsafe.Add(ref p0, i) = agg;
                        SeedFrom(ref Unsafe.Add(ref a0, i), agg);
                    }
                    continue;
                }
            }
            do
            {
                var shift = BitOperations.TrailingZeroCount(occupied) & ~7;
                occupied &= ~(0xFFUL << shift);
                var i = g + (shift >> 3);
                var bit = 1UL << i;   // i mod 64
                copied |= bit;
                ref readonly var from0 = ref Entry(ref e0, i).State.Agg;
                Unsafe.Add(ref p0, i) = from0;
                ref var agg = ref Unsafe.Add(ref a0, i);
                if ((held & bit) == 0)
                {
                    held |= bit;
                    TSpec.Init(out agg);
                }
                TSpec.Merge(ref agg, from0);
            }
            while (occupied != 0);
        }
    }

    /// <summary>
    /// Emits the final rows of [start, end): each key of <paramref name="older"/> merged with
    /// <paramref name="back"/>, in key order, as <see cref="TryEmitMergedWindow"/> does from the tables
    /// (a key only one of them holds: that aggregate, merged into a fresh one when the other exists).
    /// A <paramref name="pending"/> pane is first pushed onto <paramref name="back"/> (and copied into
    /// <paramref name="pendingCopy"/>), 64 keys at a time just before their rows, or key by key when the pane, the
    /// back and <paramref name="older"/> hold all 64: the same merges as <see cref="PushDense"/> then the emission,
    /// in one pass.
    /// </summary>
    private void EmitDenseWindow(DenseAggregates? older, DenseAggregates? back, StateTable<TKey, WindowSlot<TState>, Hasher>? pending, DenseAggregates? pendingCopy, long start, long end)
    {
        // Every row of the window revises the same window at the same watermark: one revision for all of them.
        var revision = new RowRevision(start, end, 0, true, _watermark);
        var sink = _sink;
        var words = (older ?? back)?.Held.Length ?? 0;   // neither: the window's panes held no key
        ref var c0 = ref Unsafe.NullRef<byte>();
        ref var e0 = ref Unsafe.NullRef<StateEntry<TKey, WindowSlot<TState>>>();
        var paneSlots = 0;
        if (pending is not null)
        {
            var control = DirectControl(pending, back!, out var entries);
            c0 = ref MemoryMarshal.GetArrayDataReference(control);
            e0 = ref entries.First;
            paneSlots = control.Length;
        }
        ref var o0 = ref older is null ? ref Unsafe.NullRef<TState>() : ref MemoryMarshal.GetArrayDataReference(older.Aggs);
        ref var b0 = ref back is null ? ref Unsafe.NullRef<TState>() : ref MemoryMarshal.GetArrayDataReference(back.Aggs);
        for (var w = 0; w < words; w++)
        {
            var first = w << 6;
            if (first + 64 <= paneSlots && back!.Held[w] == ulong.MaxValue && (older is null || older.Held[w] == ulong.MaxValue)
                && !MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref c0, first), 64).Contains(DirectEmpty))
            {
                // The steady case: 64 keys held by the pane, the back and the oldest suffix (or no suffix yet), fused
                // per key. Each key's pane aggregate is copied and merged into the back, then its row is emitted: the
                // pane's lines, which come from memory, load while the rows of the keys before are built.
                pendingCopy!.Held[w] = ulong.MaxValue;
                ref var p0 = ref MemoryMarshal.GetArrayDataReference(pendingCopy.Aggs);
                if (older is null)
                {
                    for (var i = first; i < first + 64; i++)
                    {
                        ref readonly var agg = ref Entry(ref e0, i).State.Agg;
                        Unsafe.Add(ref p0, i) = agg;
                        ref var sum = ref Unsafe.Add(ref b0, i);
                        TSpec.Merge(ref sum, agg);
                        EmitDenseRow(sink, i, sum, start, end, revision);
                    }
                    continue;
                }
                for (var i = first; i < first + 64; i++)
                {
                    ref readonly var agg = ref Entry(ref e0, i).State.Agg;
                    Unsafe.Add(ref p0, i) = agg;
                    ref var sum = ref Unsafe.Add(ref b0, i);
                    TSpec.Merge(ref sum, agg);
                    var merged = Unsafe.Add(ref o0, i);
                    TSpec.Merge(ref merged, sum);
                    EmitDenseRow(sink, i, merged, start, end, revision);
                }
                continue;
            }
            if (first < paneSlots) PushDenseGroups(back!, pendingCopy!, ref c0, ref e0, first, Math.Min(first + 64, paneSlots));
            var o = older is null ? 0 : older.Held[w];
            var b = back is null ? 0 : back.Held[w];
            if (b == ulong.MaxValue)
            {
                // 64 keys in a row in the back (dense ids): no bit to find.
                if (o == ulong.MaxValue)
                {
                    for (var i = first; i < first + 64; i++)
                    {
                        var merged = Unsafe.Add(ref o0, i);
                        TSpec.Merge(ref merged, Unsafe.Add(ref b0, i));
                        EmitDenseRow(sink, i, merged, start, end, revision);
                    }
                    continue;
                }
                if (older is null)
                {
                    for (var i = first; i < first + 64; i++) EmitDenseRow(sink, i, Unsafe.Add(ref b0, i), start, end, revision);
                    continue;
                }
            }
            var all = o | b;
            while (all != 0)
            {
                var bit = all & (0 - all);
                all ^= bit;
                var i = first + BitOperations.TrailingZeroCount(bit);
                if ((b & bit) == 0)
                {
                    EmitDenseRow(sink, i, Unsafe.Add(ref o0, i), start, end, revision);
                }
                else if (older is null)
                {
                    EmitDenseRow(sink, i, Unsafe.Add(ref b0, i), start, end, revision);
                }
                else
                {
                    TState merged;
                    if ((o & bit) == 0) TSpec.Init(out merged);
                    else merged = Unsafe.Add(ref o0, i);
                    TSpec.Merge(ref merged, Unsafe.Add(ref b0, i));
                    EmitDenseRow(sink, i, merged, start, end, revision);
                }
            }
        }
    }

    /// <summary>The final row of the key in slot <paramref name="index"/> (direct mode: the key is the index).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EmitDenseRow(IRowSink<TRow> sink, int index, in TState agg, long start, long end, in RowRevision revision)
    {
        TSpec.ToRow(KeyOfIndex(index), agg, start, end, out var row);
        _rowsEmitted++;
        sink.OnRow(row, revision);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TKey KeyOfIndex(int index)
    {
        if (typeof(TKey) == typeof(long))
        {
            long k = index;
            return Unsafe.As<long, TKey>(ref k);
        }
        int i = index;
        return Unsafe.As<int, TKey>(ref i);
    }
}
