using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kernel.State;

/// <summary>
/// The hot keyed state of an operator: an open-addressing hash table of unmanaged
/// (<typeparamref name="TKey"/> → <typeparamref name="TState"/>) entries stored inline, key beside
/// state, in one array of slots (power-of-two count, linear probing, at most 3/4 full), with a
/// parallel control byte per slot: 0 = empty, <c>Clean</c> = occupied, <c>Dirty</c> = occupied and
/// written since the last snapshot (what an incremental checkpoint must write). A table that tracks changes for a
/// change sink adds a Flushed bit (see <c>StateTable.Dirty.cs</c>). A key's home slot is
/// the top bits of its hash, so a multiplicative hash spreads dense keys almost without collision.
/// A lookup computes one slot index and reads the entry and its control byte in parallel; a hit is
/// one dependent load, like an array indexed by key. Removal shifts the following probe run back, so
/// there are no tombstones. Growth rehashes into arrays twice the size; nothing is allocated per lookup.
/// <para>
/// Direct mode: when the key is a <see cref="long"/> or <see cref="int"/> and the hasher allows it
/// (<see cref="IKeyHasher{TKey}.DirectIndex"/>), the table starts by storing key k in slot k, so long as
/// every key is in [0, slots): a lookup is a bounds compare, one control byte and the entry, with no
/// hash and no probe (the "array indexed by product id" of dense ids). A key outside the slots makes the
/// table either grow (while it stays at most 8 slots per key held, or within its initial size or 1,024
/// slots) or rehash into the hashed layout above; a hashed table whose keys became dense enough goes
/// back to direct mode when it next grows. Every operation is the same in both modes; only the slot a
/// key lives in differs.
/// </para>
/// <para>
/// Lined direct mode: when the hasher declares the state's hot prefix (<see cref="IKeyHasher{TKey}.DirectHotBytes"/>,
/// the bytes a fold touches per event) and it fits one 64-byte cache line while the whole state does not (or
/// the hasher asks for small states too, <see cref="IKeyHasher{TKey}.LinesSmallStates"/>, or the entry is exactly 32
/// or 64 bytes, where lining costs no memory), direct mode keeps its
/// entries in <see cref="LinedEntries"/> instead of the packed array: 128 bytes apart, or 64 or 32 for an entry
/// that fits a line or half of one, no state crossing a line, so a fold touches one line per key.
/// Hashed mode is always packed. Readers reach an entry through <c>EntryAt</c>, which knows both layouts.
/// </para>
/// </summary>
/// <remarks>
/// Layouts measured on the <c>aggregate</c> quick suite's workload (10,000 keys, 72-byte state), best
/// first: this one (about 1.3× the hand-written <c>Dictionary</c> loop on a shared, noisy machine);
/// dense entries behind an index of slots (two dependent loads, like <c>Dictionary</c>: about 1.0×);
/// dense entries with SIMD-probed tag bytes; inline slots indexed by the low bits of a folded hash
/// (collisions made probe lengths, and so branches, unpredictable: about 0.6×).
/// Not thread-safe: one operator owns a table and calls it from its handler thread only.
/// References returned by <see cref="GetValueRefOrAdd"/> are valid until the next add or remove.
/// </remarks>
/// <typeparam name="TKey">The key; compared with <see cref="IEquatable{T}"/>.</typeparam>
/// <typeparam name="TState">The state per key.</typeparam>
/// <typeparam name="THasher">The key hash, specialized and inlined by the JIT.</typeparam>
public sealed partial class StateTable<TKey, TState, THasher>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where THasher : struct, IKeyHasher<TKey>
{
    private const byte Empty = 0;
    private const byte Clean = 1;
    private const byte Dirty = 3;

    // A bit over Clean or Dirty (5, 7) in a table that tracks changes for a change sink (StateTable.Dirty.cs):
    // the entry's current state was handed to the sink. Never set in other tables.
    private const byte Flushed = 4;
    private const int MaxSlots = 1 << 30;
    private const int MinSlots = 16;
    private const int MinDirectSlots = 1024;
    private const int DirectSlotsPerKey = 8;

    private readonly string _name;
    private readonly ulong _fingerprint;
    private readonly bool _trackRemovals;

    // Slot i holds EntryAt(i) when _control[i] != Empty: _entries[i], or in lined direct mode (s_lined, see
    // the remarks) the entry in _lined at _linedStart + i × DirectStride, with _entries empty.
    private StateEntry<TKey, TState>[] _entries;
    private ulong[]? _lined;
    private nint _linedStart;
    private byte[] _control;
    private int _mask;
    private int _shift;   // 64 − log2(slots): the home slot is hash >> _shift
    private int _count;
    private int _growAt;
    private readonly int _initialSlots;

    // Direct mode (see the remarks): every key held is an integer in [0, slots), in the slot of its value.
    private bool _direct;

    // An upper bound of the integer keys held (as unsigned: a negative key reads as huge); direct-capable tables only.
    private ulong _maxIndex;

    // Keys removed since the last snapshot, so a Changes snapshot can carry their deletion.
    private TKey[] _removed = [];
    private int _removedCount;

    // True when Clear ran since the last snapshot: a Changes snapshot then starts from empty.
    private bool _clearedSinceSnapshot;

    // The dirty-slot list (see StateTable.Dirty.cs): slot indices appended when a slot turns Dirty, so
    // enumerating the changes and marking them clean cost O(dirty), not O(slots). Invariant while
    // _dirtyOverflow is false: the first _dirtyCount elements are exactly the Dirty slots, each once.
    // Once it overflows (more dirty slots than room, or a removal moved a dirty entry), the control
    // bytes are scanned instead until the next MarkClean. Empty when changes are not tracked.
    private int[] _dirtySlots;
    private int _dirtyCount;
    private bool _dirtyOverflow;

    /// <summary>Creates an empty table.</summary>
    /// <param name="name">The aggregation the state belongs to (named in snapshot errors).</param>
    /// <param name="stateFingerprint">The key/state layout fingerprint written into snapshots.</param>
    /// <param name="initialCapacity">Entries to hold before the first growth.</param>
    /// <param name="trackRemovals">
    /// Record removed keys for the next <see cref="SnapshotScope.Changes"/> snapshot; turn off for a
    /// table that is never snapshotted, so the record does not grow without bound.
    /// </param>
    public StateTable(string name, ulong stateFingerprint, int initialCapacity = 12, bool trackRemovals = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        if ((uint)initialCapacity > MaxSlots / 2) StateThrowHelper.ThrowCapacity(initialCapacity);
        _trackRemovals = trackRemovals;
        _name = name;
        _fingerprint = stateFingerprint;
        var slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinSlots, initialCapacity + initialCapacity / 3 + 1));
        _dirtySlots = trackRemovals ? new int[DirtyListCapacity(slots)] : [];
        _dirtyOverflow = !trackRemovals;
        _initialSlots = slots;
        AllocateSlots(slots, MayDirect && (!s_lined || slots <= LinedEntries.MaxSlots));
    }

    /// <summary>The aggregation the state belongs to.</summary>
    public string Name => _name;

    /// <summary>The key/state layout fingerprint snapshots are written and checked with.</summary>
    public ulong StateFingerprint => _fingerprint;

    /// <summary>The number of keys held.</summary>
    public int Count => _count;

    /// <summary>The number of keys the table holds before its next growth.</summary>
    public int Capacity => _growAt;

    /// <summary>The number of slots (a power of two; the table grows at 3/4 full).</summary>
    public int Slots => _mask + 1;

    /// <summary>True while the table is in direct mode (integer keys stored in the slot of their value; see the remarks).</summary>
    public bool IsDirect => MayDirect && _direct;

    /// <summary>True when the key type and the hasher allow direct mode (a JIT-time constant).</summary>
    private static bool MayDirect =>
        (typeof(TKey) == typeof(long) || typeof(TKey) == typeof(int)) && THasher.DirectIndex;

    /// <summary>An integer key as an unsigned slot index (a negative key is huge, so never in range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong IndexOf(in TKey key)
    {
        if (typeof(TKey) == typeof(long)) return (ulong)Unsafe.As<TKey, long>(ref Unsafe.AsRef(in key));
        if (typeof(TKey) == typeof(int)) return (ulong)(long)Unsafe.As<TKey, int>(ref Unsafe.AsRef(in key));
        return ulong.MaxValue;
    }

    /// <summary>
    /// Returns a reference to the state of <paramref name="key"/>, adding the key with a zeroed
    /// state when absent (<paramref name="added"/> tells the caller to initialize it). Marks the
    /// entry dirty: the caller is expected to write through the reference.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TState GetValueRefOrAdd(in TKey key, out bool added)
    {
        var mask = _mask;
        // The invariant making the unchecked reads safe: both arrays have mask + 1 elements, a home
        // slot (hash >> (64 − log2 slots)) is at most mask, and every next slot is reduced with "& mask".
        ref var control = ref MemoryMarshal.GetArrayDataReference(_control);
        if (MayDirect && _direct)
        {
            // Direct: the key is its slot, checked against mask; a hit is one control byte and the entry.
            var k = IndexOf(key);
            if (k > (ulong)(uint)mask) return ref AddOutsideDirect(key, out added);
            ref var dc = ref Unsafe.Add(ref control, (nint)k);
            ref var de = ref Unsafe.AddByteOffset(ref DirectEntries(), DirectOffsetOf(k));
            added = dc == Empty;
            if (added)
            {
                _count++;
                de.Key = key;
                de.State = default;
            }
            if (dc != Dirty) TurnDirty(ref dc, (int)k);
            return ref de.State;
        }
        ref var entries = ref MemoryMarshal.GetArrayDataReference(_entries);
        var i = HomeOf(key);
        while (true)
        {
            // Entry and control byte are read together: for a hit, the key compare does not wait
            // for the control byte (an empty slot's stale key is zeroed, so it matches only key 0,
            // which the control byte then rules out).
            ref var entry = ref Unsafe.Add(ref entries, i);
            ref var c = ref Unsafe.Add(ref control, i);
            if (entry.Key.Equals(key) && c != Empty)
            {
                if (c != Dirty) TurnDirty(ref c, i);
                added = false;
                return ref entry.State;
            }
            if (c == Empty)
            {
                added = true;
                if (_count >= _growAt) return ref AddAfterGrow(key);
                _count++;
                if (MayDirect && IndexOf(key) > _maxIndex) _maxIndex = IndexOf(key);
                c = Dirty;
                AppendDirty(i);
                AppendChanged(i);
                entry.Key = key;
                entry.State = default;
                return ref entry.State;
            }
            i = (i + 1) & mask;
        }
    }

    /// <summary>
    /// Hints the CPU to start loading what a later lookup of <paramref name="key"/> reads: the state of
    /// its direct slot, or the whole entry of its home slot when hashed (the probe compares the key), so
    /// that an operator can ask for the entry of an event a few events ahead and find it in cache by the
    /// time it folds it. A hint only: it reads nothing, changes nothing and never faults (a prefetch of a
    /// stale address is harmless).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe void Prefetch(in TKey key)
    {
        if (!Sse.IsSupported) return;
        if (MayDirect && _direct)
        {
            var k = IndexOf(key);
            if (k > (ulong)(uint)_mask) return;
            PrefetchState((byte*)Unsafe.AsPointer(ref DirectEntries()) + s_stateOffset + DirectOffsetOf(k));
            return;
        }
        ref var entries = ref MemoryMarshal.GetArrayDataReference(_entries);
        PrefetchLines((byte*)Unsafe.AsPointer(ref Unsafe.Add(ref entries, HomeOf(key))), Unsafe.SizeOf<StateEntry<TKey, TState>>());
    }

    /// <summary>The byte offset of the state in an entry (a JIT-time constant in optimized code).</summary>
    private static readonly int s_stateOffset = ComputeStateOffset();

    private static int ComputeStateOffset()
    {
        var entry = default(StateEntry<TKey, TState>);
        return (int)Unsafe.ByteOffset(ref Unsafe.As<StateEntry<TKey, TState>, byte>(ref entry), ref Unsafe.As<TState, byte>(ref entry.State));
    }

    /// <summary>
    /// True when this table type lays its direct mode out lined (<see cref="LinedEntries"/>): the hasher
    /// declares the state's hot prefix (<see cref="IKeyHasher{TKey}.DirectHotBytes"/>), it fits one 64-byte
    /// line, the whole state does not, the hasher lines small states too (<see cref="IKeyHasher{TKey}.LinesSmallStates"/>)
    /// or lining costs no memory (an entry of exactly 32 or 64 bytes is as large at its lined stride), and an entry
    /// fits the 128-byte stride. Measured on the aggregate suite's 72-byte state with a 64-byte
    /// hot prefix (Kernel.Bench/Notes/aggregate.md, session 14) and, for states that fit a line, on
    /// Sum-and-Count states of the keyed aggregator (session 20: packed, a state starts at any offset of a
    /// line and one in eight crosses two, and the fold ran 1.3–1.5× slower). Where lining is free (a window
    /// pane's Sum-and-Count slot: 32-byte entries), a lined state never crosses a line, so a loop hints one
    /// line per event instead of the first and last byte of the state (Notes/windows.md, session 21). A
    /// JIT-time constant in optimized code.
    /// </summary>
    private static readonly bool s_lined = MayDirect
        && THasher.DirectHotBytes is > 0 and <= LinedEntries.Line
        && (Unsafe.SizeOf<TState>() > LinedEntries.Line || THasher.LinesSmallStates
            || Unsafe.SizeOf<StateEntry<TKey, TState>>() == LinedEntries.StrideOf<StateEntry<TKey, TState>>())
        && Unsafe.SizeOf<StateEntry<TKey, TState>>() <= LinedEntries.MaxStride;

    /// <summary>True while the entries are lined (direct mode of a lined table type).</summary>
    private bool Lined => s_lined && _direct;

    /// <summary>True while the entries are lined (<see cref="LinedEntries"/>); for tests and diagnostics.</summary>
    internal bool IsLined => Lined;

    /// <summary>True when this table type lines its direct mode (<see cref="LinedEntries"/>); for tests and diagnostics.</summary>
    internal static bool LinesDirectEntries => s_lined;

    /// <summary>The distance between two direct-mode entries (a JIT-time constant in optimized code).</summary>
    private static nint DirectStride
    {
        // Inlined everywhere: a loop's cold tail otherwise called it per event (Tier1 disassembly).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_lined ? LinedEntries.StrideOf<StateEntry<TKey, TState>>() : Unsafe.SizeOf<StateEntry<TKey, TState>>();
    }

    /// <summary>The byte offset of direct slot <paramref name="index"/>'s entry from slot 0's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint DirectOffsetOf(ulong index) => (nint)(index * (ulong)DirectStride);

    /// <summary>Slot 0's entry in direct mode (unchecked base for <see cref="DirectOffsetOf"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref StateEntry<TKey, TState> DirectEntries()
    {
        if (s_lined) return ref LinedEntries.First<StateEntry<TKey, TState>>(_lined!, _linedStart);
        return ref MemoryMarshal.GetArrayDataReference(_entries);
    }

    /// <summary>
    /// Direct slot <paramref name="index"/>'s entry from slot 0's (<see cref="DirectEntries"/>), in either
    /// layout (packed, or lined: see <see cref="LinedEntries"/>); unchecked, for loops bounded by the slots.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ref StateEntry<TKey, TState> DirectEntry(ref StateEntry<TKey, TState> entries, int index)
        => ref Unsafe.AddByteOffset(ref entries, DirectOffsetOf((ulong)(uint)index));

    /// <summary>The entry in <paramref name="slot"/>, in either layout (range-checked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref StateEntry<TKey, TState> EntryAt(int slot)
    {
        if (Lined) return ref LinedEntries.At<StateEntry<TKey, TState>>(_lined!, _linedStart, slot);
        return ref _entries[slot];
    }

    /// <summary>Replaces the arrays with empty ones of <paramref name="slots"/> slots, in direct mode or hashed.</summary>
    [MemberNotNull(nameof(_entries), nameof(_control))]
    private void AllocateSlots(int slots, bool direct)
    {
        _direct = direct;
        if (s_lined && direct)
        {
            _lined = LinedEntries.Allocate<StateEntry<TKey, TState>>(slots, s_stateOffset, out _linedStart);
            _entries = [];
        }
        else
        {
            _lined = null;
            _linedStart = 0;
            _entries = new StateEntry<TKey, TState>[slots];
        }
        _control = new byte[slots];
        _primed = 0;   // new arrays: primed again at the next ClearForReuse
        SetSlots(slots);
    }

    /// <summary>Hints the lines of a direct state at <paramref name="state"/>: its hot line when lined, else every line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchState(byte* state)
    {
        if (s_lined) Sse.Prefetch0(state);
        else PrefetchLines(state, Unsafe.SizeOf<TState>());
    }

    /// <summary>
    /// Hints the CPU to load every cache line of the <paramref name="size"/> bytes at <paramref name="p"/>
    /// (<paramref name="size"/> is a JIT-time constant, so the tests fold away): the first byte, the last,
    /// and one byte per 64 between them where a whole line could otherwise fit unrequested. Exact for an
    /// 8-byte aligned <paramref name="p"/> (an entry or state holding a long); otherwise it may miss a middle
    /// line, which costs a cache miss, never correctness.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchLines(byte* p, int size)
    {
        Sse.Prefetch0(p);
        if (size > 72) Sse.Prefetch0(p + 64);
        if (size > 136) Sse.Prefetch0(p + 128);
        if (size > 200) Sse.Prefetch0(p + 192);
        if (size > 8) Sse.Prefetch0(p + size - 1);
    }

    /// <summary>
    /// Returns a reference to the state of <paramref name="key"/>, or a null reference when the
    /// key is absent (test with <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>). Does not mark the entry dirty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TState GetValueRefOrNullRef(in TKey key)
    {
        var slot = SlotOf(key);
        if (slot < 0) return ref Unsafe.NullRef<TState>();
        return ref EntryAt(slot).State;
    }

    /// <summary>Copies the state of <paramref name="key"/> out, if present.</summary>
    public bool TryGetValue(in TKey key, out TState state)
    {
        var slot = SlotOf(key);
        if (slot < 0)
        {
            state = default;
            return false;
        }
        state = EntryAt(slot).State;
        return true;
    }

    /// <summary>True when <paramref name="key"/> is present.</summary>
    public bool ContainsKey(in TKey key) => SlotOf(key) >= 0;

    /// <summary>
    /// Removes <paramref name="key"/>, shifting the rest of its probe run back so that no tombstone
    /// is left; the removal is recorded for the next <see cref="SnapshotScope.Changes"/> snapshot.
    /// </summary>
    /// <returns>True when the key was present.</returns>
    public bool Remove(in TKey key)
    {
        var slot = SlotOf(key);
        if (slot < 0) return false;
        RecordRemoval(key);
        RemoveAt(slot);
        return true;
    }

    /// <summary>Removes every entry (recorded so that a Changes snapshot starts from empty), keeping the capacity.</summary>
    public void Clear()
    {
        if (_count == 0 && _removedCount == 0) return;
        Array.Clear(_control);
        Array.Clear(_entries);
        if (_lined is not null) Array.Clear(_lined);
        _primed = 0;
        ResetAfterClear();
    }

    // The bookkeeping an emptied table starts from (Clear and ClearForReuse share it, so a field
    // added here is reset by both).
    private void ResetAfterClear()
    {
        _count = 0;
        _removedCount = 0;
        _dirtyCount = 0;
        _dirtyOverflow = _dirtySlots.Length == 0;
        _changedCount = 0;
        _changedOverflow = _changedSlots.Length == 0;
        _maxIndex = 0;
        _clearedSinceSnapshot = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(in TKey key)
    {
        if (MayDirect && _direct)
        {
            var k = IndexOf(key);
            return k <= (ulong)(uint)_mask && _control[(int)k] != Empty ? (int)k : -1;
        }
        var mask = _mask;
        var i = HomeOf(key);
        var control = _control;
        var entries = _entries;
        while (true)
        {
            var c = control[i];
            if (c == Empty) return -1;
            if (entries[i].Key.Equals(key)) return i;
            i = (i + 1) & mask;
        }
    }

    /// <summary>
    /// A key's home slot: the top bits of its hash. A multiplicative (Fibonacci) hash, the cheapest
    /// good hash of an integer key, mixes its high bits but not its low ones, and spreads dense keys
    /// (1, 2, 3, …) over the slots almost without collision.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int HomeOf(in TKey key) => (int)(THasher.Hash(key) >> _shift);

    private void RemoveAt(int hole)
    {
        var mask = _mask;
        var control = _control;
        var entries = _entries;   // hashed mode only (the loop below); direct mode may be lined
        var j = hole;
        // A dirty slot that empties leaves a stale index in the dirty list: scan until the next MarkClean
        // (and a pending one in the changed list: scan at the next flush).
        NoteStaleSlot(control[hole]);
        while (!(MayDirect && _direct))   // direct mode has no probe runs: nothing to shift back
        {
            j = (j + 1) & mask;
            var c = control[j];
            if (c == Empty) break;
            var home = HomeOf(entries[j].Key);
            // Move j into the hole when its home slot is not inside (hole, j]: otherwise a lookup
            // starting at home would stop at the hole before reaching it.
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                NoteStaleSlot(c);   // a dirty (or pending) entry changes slot: its index in the lists goes stale
                entries[hole] = entries[j];
                control[hole] = c;
                hole = j;
            }
        }
        control[hole] = Empty;
        EntryAt(hole) = default;   // keeps an empty slot's key zeroed (see GetValueRefOrAdd)
        if (hole < _primed) _primed = hole;   // no longer primed from here
        _count--;
    }

    private void RecordRemoval(in TKey key)
    {
        if (!_trackRemovals) return;
        if (_removedCount == _removed.Length)
            Array.Resize(ref _removed, Math.Max(16, _removed.Length * 2));
        _removed[_removedCount++] = key;
    }

    // The key by value: taking its address here would pin the caller's key to the stack.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref TState AddAfterGrow(TKey key)
    {
        Grow(MayDirect ? IndexOf(key) : 0);
        var slot = InsertNew(key, Dirty);
        return ref EntryAt(slot).State;
    }

    /// <summary>Direct mode met a key outside the slots: grow the direct table if keys stay dense enough, else hash.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref TState AddOutsideDirect(TKey key, out bool added)
    {
        var k = IndexOf(key);
        if (DirectFits(k, _count + 1)) Rehash(DirectSlots(k), direct: true);
        else Rehash(Math.Max(_mask + 1, HashedSlots(_count + 1)), direct: false);
        // The key is absent (a direct table holds no key outside its slots) and there is room now.
        added = true;
        return ref EntryAt(InsertNew(key, Dirty)).State;
    }

    /// <summary>The hashed table is full: rehash twice the size, or into direct mode when the keys are dense enough.</summary>
    private void Grow(ulong pendingIndex)
    {
        var maxIndex = Math.Max(_maxIndex, pendingIndex);
        if (MayDirect && DirectFits(maxIndex, _count + 1))
        {
            Rehash(Math.Max(DirectSlots(maxIndex), _mask + 1), direct: true);
            return;
        }
        if (_mask + 1 >= MaxSlots) StateThrowHelper.ThrowTableFull(_name);
        Rehash((_mask + 1) * 2, direct: false);
    }

    /// <summary>True when a direct table holding index <paramref name="maxIndex"/> stays within its memory bound for <paramref name="count"/> keys.</summary>
    private bool DirectFits(ulong maxIndex, int count)
    {
        var limit = Math.Max(Math.Max(_initialSlots, MinDirectSlots), (long)count * DirectSlotsPerKey);
        if (s_lined && _mask + 1 > LinedEntries.MaxSlots) return false;   // a lined array of these slots would not fit
        return maxIndex < (ulong)Math.Min(limit, s_lined ? LinedEntries.MaxSlots : MaxSlots);
    }

    private static int DirectSlots(ulong maxIndex) =>
        (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinSlots, (long)maxIndex + 1));

    private static int HashedSlots(int count) =>
        (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinSlots, count + count / 3 + 1));

    /// <summary>Moves every entry into new arrays of <paramref name="slots"/> slots in the given mode.</summary>
    private void Rehash(int slots, bool direct)
    {
        var oldEntries = _entries;
        var oldLined = Lined ? _lined : null;
        var oldStart = _linedStart;
        var oldControl = _control;
        AllocateSlots(slots, direct);
        _count = 0;
        _maxIndex = 0;
        // Slots change: the dirty list is rebuilt as InsertNew places each dirty entry.
        var tracked = _dirtySlots.Length != 0;
        if (tracked) _dirtySlots = new int[DirtyListCapacity(slots)];
        _dirtyCount = 0;
        _dirtyOverflow = !tracked;
        ResetChangedList(slots);
        for (var i = 0; i < oldControl.Length; i++)
        {
            if (oldControl[i] == Empty) continue;
            ref var old = ref oldLined is null ? ref oldEntries[i] : ref LinedEntries.At<StateEntry<TKey, TState>>(oldLined, oldStart, i);
            var slot = InsertNew(old.Key, oldControl[i]);
            EntryAt(slot).State = old.State;
        }
    }

    /// <summary>Inserts a key known to be absent, with room known to exist (and in range in direct mode); returns its slot.</summary>
    private int InsertNew(in TKey key, byte control)
    {
        Debug.Assert(_count <= _mask, "InsertNew needs a free slot");
        if (MayDirect)
        {
            var k = IndexOf(key);
            if (k > _maxIndex) _maxIndex = k;
            if (_direct)
            {
                Debug.Assert(k <= (ulong)(uint)_mask && _control[(int)k] == Empty, "direct insert out of range or taken");
                var d = (int)k;
                _control[d] = control;
                NoteInserted(control, d);
                ref var de = ref EntryAt(d);
                de.Key = key;
                de.State = default;
                _count++;
                return d;
            }
        }
        var mask = _mask;
        var i = HomeOf(key);
        while (_control[i] != Empty) i = (i + 1) & mask;
        _control[i] = control;
        NoteInserted(control, i);
        _entries[i].Key = key;
        _entries[i].State = default;
        _count++;
        return i;
    }

    private void SetSlots(int slots)
    {
        _mask = slots - 1;
        _shift = 64 - BitOperations.Log2((uint)slots);
        _growAt = slots - slots / 4;
    }
}
