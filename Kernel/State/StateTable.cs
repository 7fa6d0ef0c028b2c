using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Kernel.State;

/// <summary>
/// The hot keyed state of an operator: an open-addressing hash table of unmanaged
/// (<typeparamref name="TKey"/> → <typeparamref name="TState"/>) entries. The entries are stored
/// densely, key beside state, in insertion order; the hash index over them is one small array of
/// slots (power-of-two count, linear probing, at most half full) holding each entry's dense index + 1
/// (0 = empty). A hit costs two dependent loads (slot, then entry) like <c>Dictionary</c>, and only
/// live entries occupy cache lines. A parallel byte per entry is its dirty flag: set whenever the state
/// is handed out for writing, cleared by a snapshot (what an incremental checkpoint must write).
/// Removal shifts the following probe run back, so there are no tombstones. Growth rebuilds the index
/// from the dense entries; nothing is allocated per lookup.
/// </summary>
/// <remarks>
/// Layouts measured with the <c>aggregate</c> quick suite's workload (10,000 keys, 72-byte state):
/// entries inline in the slots (larger working set), a control-byte tag array (a third dependent
/// load) and 16-wide SIMD group probing were all slower than this one on that machine.
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
    private const int MaxSlots = 1 << 30;
    private const int MinSlots = 16;

    private readonly string _name;
    private readonly ulong _fingerprint;
    private readonly bool _trackRemovals;

    // Index: per slot the dense index of its entry + 1; 0 = empty.
    private int[] _slots;
    private int _mask;
    private int _shift;   // 64 − log2(slots): the home slot is hash >> _shift

    // Entries 0 … _count − 1 are live; the arrays hold exactly _growAt entries, so an add that does
    // not grow the index always finds room. _dirty[d] is 1 when entry d changed since the last snapshot.
    private StateEntry<TKey, TState>[] _entries;
    private byte[] _dirty;
    private int _count;
    private int _growAt;

    // Keys removed since the last snapshot, so a Changes snapshot can carry their deletion.
    private TKey[] _removed = [];
    private int _removedCount;

    // True when Clear ran since the last snapshot: a Changes snapshot then starts from empty.
    private bool _clearedSinceSnapshot;

    /// <summary>Creates an empty table.</summary>
    /// <param name="name">The aggregation the state belongs to (named in snapshot errors).</param>
    /// <param name="stateFingerprint">The key/state layout fingerprint written into snapshots.</param>
    /// <param name="initialCapacity">Entries to hold before the first growth.</param>
    /// <param name="trackRemovals">
    /// Record removed keys for the next <see cref="SnapshotScope.Changes"/> snapshot; turn off for a
    /// table that is never snapshotted, so the record does not grow without bound.
    /// </param>
    public StateTable(string name, ulong stateFingerprint, int initialCapacity = 8, bool trackRemovals = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        if ((uint)initialCapacity > MaxSlots / 2) StateThrowHelper.ThrowCapacity(initialCapacity);
        _trackRemovals = trackRemovals;
        _name = name;
        _fingerprint = stateFingerprint;
        var slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinSlots, initialCapacity * 2));
        _slots = new int[slots];
        SetSlots(slots);
        _entries = new StateEntry<TKey, TState>[_growAt];
        _dirty = new byte[_growAt];
    }

    /// <summary>The aggregation the state belongs to.</summary>
    public string Name => _name;

    /// <summary>The key/state layout fingerprint snapshots are written and checked with.</summary>
    public ulong StateFingerprint => _fingerprint;

    /// <summary>The number of keys held.</summary>
    public int Count => _count;

    /// <summary>The number of keys the table holds before its next growth.</summary>
    public int Capacity => _growAt;

    /// <summary>The number of index slots (a power of two; the table grows when half of them are used).</summary>
    public int Slots => _mask + 1;

    /// <summary>
    /// Returns a reference to the state of <paramref name="key"/>, adding the key with a zeroed
    /// state when absent (<paramref name="added"/> tells the caller to initialize it). Marks the
    /// entry dirty: the caller is expected to write through the reference.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TState GetValueRefOrAdd(in TKey key, out bool added)
    {
        var mask = _mask;
        var i = HomeOf(key);
        // The invariant making the unchecked reads safe: _slots has mask + 1 elements and every slot
        // index is reduced with "& mask" (a home slot, hash >> (64 − log2 slots), is ≤ mask); a non-zero slot holds d + 1 with d < _count ≤ _entries.Length
        // = _dirty.Length.
        ref var slots = ref MemoryMarshal.GetArrayDataReference(_slots);
        ref var entries = ref MemoryMarshal.GetArrayDataReference(_entries);
        while (true)
        {
            var d = Unsafe.Add(ref slots, i) - 1;
            if (d < 0) break;
            ref var entry = ref Unsafe.Add(ref entries, d);
            if (entry.Key.Equals(key))
            {
                Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_dirty), d) = 1;
                added = false;
                return ref entry.State;
            }
            i = (i + 1) & mask;
        }
        added = true;
        if (_count >= _growAt) return ref AddAfterGrow(key);
        return ref AddAt(i, key);
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
        return ref _entries[_slots[slot] - 1].State;
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
        state = _entries[_slots[slot] - 1].State;
        return true;
    }

    /// <summary>True when <paramref name="key"/> is present.</summary>
    public bool ContainsKey(in TKey key) => SlotOf(key) >= 0;

    /// <summary>
    /// Removes <paramref name="key"/>: its probe run shifts back (no tombstone) and the last dense
    /// entry moves into its place. The removal is recorded for the next <see cref="SnapshotScope.Changes"/> snapshot.
    /// </summary>
    /// <returns>True when the key was present.</returns>
    public bool Remove(in TKey key)
    {
        var slot = SlotOf(key);
        if (slot < 0) return false;
        RecordRemoval(key);
        var hole = _slots[slot] - 1;
        RemoveSlot(slot);
        var last = _count - 1;
        if (hole != last)
        {
            // Move the last entry (and its dirty flag) into the hole and repoint its slot.
            _entries[hole] = _entries[last];
            _dirty[hole] = _dirty[last];
            var mask = _mask;
            var i = HomeOf(_entries[hole].Key);
            while (_slots[i] != last + 1) i = (i + 1) & mask;
            _slots[i] = hole + 1;
        }
        _entries[last] = default;
        _dirty[last] = 0;
        _count = last;
        return true;
    }

    /// <summary>Removes every entry (recorded so that a Changes snapshot starts from empty), keeping the capacity.</summary>
    public void Clear()
    {
        if (_count == 0 && _removedCount == 0) return;
        Array.Clear(_slots);
        Array.Clear(_entries, 0, _count);
        Array.Clear(_dirty, 0, _count);
        _count = 0;
        _removedCount = 0;
        _clearedSinceSnapshot = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(in TKey key)
    {
        var mask = _mask;
        var i = HomeOf(key);
        var slots = _slots;
        while (true)
        {
            var d = slots[i] - 1;
            if (d < 0) return -1;
            if (_entries[d].Key.Equals(key)) return i;
            i = (i + 1) & mask;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref TState AddAt(int slot, in TKey key)
    {
        var d = _count++;
        _slots[slot] = d + 1;
        _dirty[d] = 1;
        ref var entry = ref _entries[d];
        entry.Key = key;
        entry.State = default;
        return ref entry.State;
    }

    /// <summary>Empties a slot, shifting the rest of its probe run back over it.</summary>
    private void RemoveSlot(int hole)
    {
        var mask = _mask;
        var slots = _slots;
        var j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            var s = slots[j];
            if (s == 0) break;
            var home = HomeOf(_entries[s - 1].Key);
            // Move j into the hole when its home slot is not inside (hole, j]: otherwise a lookup
            // starting at home would stop at the hole before reaching it.
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                slots[hole] = s;
                hole = j;
            }
        }
        slots[hole] = 0;
    }

    private void RecordRemoval(in TKey key)
    {
        if (!_trackRemovals) return;
        if (_removedCount == _removed.Length)
            Array.Resize(ref _removed, Math.Max(16, _removed.Length * 2));
        _removed[_removedCount++] = key;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref TState AddAfterGrow(in TKey key)
    {
        Grow();
        var mask = _mask;
        var i = HomeOf(key);
        while (_slots[i] != 0) i = (i + 1) & mask;
        return ref AddAt(i, key);
    }

    private void Grow()
    {
        if (_mask + 1 >= MaxSlots) StateThrowHelper.ThrowTableFull(_name);
        var slots = (_mask + 1) * 2;
        _slots = new int[slots];
        SetSlots(slots);
        Array.Resize(ref _entries, _growAt);
        Array.Resize(ref _dirty, _growAt);
        var mask = _mask;
        for (var d = 0; d < _count; d++)
        {
            var i = HomeOf(_entries[d].Key);
            while (_slots[i] != 0) i = (i + 1) & mask;
            _slots[i] = d + 1;
        }
        Debug.Assert(_count < _growAt, "grown table has room");
    }

    /// <summary>
    /// A key's home slot: the top bits of its hash. A multiplicative (Fibonacci) hash, the cheapest
    /// good hash of an integer key, mixes its high bits but not its low ones, and spreads dense keys
    /// (1, 2, 3, …) over the slots almost without collision; the aggregate quick suite measured the
    /// low-bit index with a fold hash at about 0.6× the speed of this one (probe-length mispredictions).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int HomeOf(in TKey key) => (int)(THasher.Hash(key) >> _shift);

    private void SetSlots(int slots)
    {
        _mask = slots - 1;
        _shift = 64 - BitOperations.Log2((uint)slots);
        _growAt = slots / 2;
    }
}
