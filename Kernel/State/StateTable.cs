using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.State;

/// <summary>
/// The hot keyed state of an operator: an open-addressing hash table of unmanaged
/// (<typeparamref name="TKey"/> → <typeparamref name="TState"/>) entries stored inline in one array,
/// with linear probing over a power-of-two capacity. A parallel control byte per slot holds a
/// 6-bit hash tag (so a probe rarely compares keys that differ) and a dirty bit (set whenever the
/// state is handed out for writing, cleared by a snapshot: the entries an incremental checkpoint
/// must write). Removal shifts the following run back, so there are no tombstones and probe runs
/// never degrade. Growth rehashes into arrays twice the size; nothing is allocated per lookup.
/// </summary>
/// <remarks>
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
    // Control byte layout:  bit 7 = dirty | bits 6..0 = tag (odd, so never 0); 0 = empty slot.
    private const byte DirtyBit = 0x80;
    private const byte TagMask = 0x7F;
    private const int MaxCapacity = 1 << 30;
    private const int MinCapacity = 16;

    private readonly string _name;
    private readonly ulong _fingerprint;
    private readonly bool _trackRemovals;
    private StateEntry<TKey, TState>[] _entries;
    private byte[] _control;
    private int _mask;
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
    public StateTable(string name, ulong stateFingerprint, int initialCapacity = MinCapacity, bool trackRemovals = true)
    {
        _trackRemovals = trackRemovals;
        ArgumentNullException.ThrowIfNull(name);
        if ((uint)initialCapacity > MaxCapacity / 2) StateThrowHelper.ThrowCapacity(initialCapacity);
        _name = name;
        _fingerprint = stateFingerprint;
        var slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinCapacity, initialCapacity + initialCapacity / 3 + 1));
        _entries = new StateEntry<TKey, TState>[slots];
        _control = new byte[slots];
        SetCapacity(slots);
    }

    /// <summary>The aggregation the state belongs to.</summary>
    public string Name => _name;

    /// <summary>The key/state layout fingerprint snapshots are written and checked with.</summary>
    public ulong StateFingerprint => _fingerprint;

    /// <summary>The number of keys held.</summary>
    public int Count => _count;

    /// <summary>The number of slots (a power of two; the table grows at 3/4 full).</summary>
    public int Capacity => _entries.Length;

    /// <summary>
    /// Returns a reference to the state of <paramref name="key"/>, adding the key with a zeroed
    /// state when absent (<paramref name="added"/> tells the caller to initialize it). Marks the
    /// entry dirty: the caller is expected to write through the reference.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TState GetValueRefOrAdd(in TKey key, out bool added)
    {
        var hash = THasher.Hash(key);
        var tag = TagOf(hash);
        var mask = _mask;
        var i = (int)hash & mask;
        // The invariant making the unchecked reads safe: both arrays have mask + 1 elements and
        // every index is reduced with "& mask".
        ref var control = ref MemoryMarshal.GetArrayDataReference(_control);
        ref var entries = ref MemoryMarshal.GetArrayDataReference(_entries);
        while (true)
        {
            ref var c = ref Unsafe.Add(ref control, i);
            if ((c & TagMask) == tag)
            {
                ref var entry = ref Unsafe.Add(ref entries, i);
                if (entry.Key.Equals(key))
                {
                    c |= DirtyBit;
                    added = false;
                    return ref entry.State;
                }
            }
            else if (c == 0)
            {
                added = true;
                if (_count >= _growAt) return ref AddAfterGrow(key);
                _count++;
                c = (byte)(tag | DirtyBit);
                ref var entry = ref Unsafe.Add(ref entries, i);
                entry.Key = key;
                entry.State = default;
                return ref entry.State;
            }
            i = (i + 1) & mask;
        }
    }

    /// <summary>
    /// Returns a reference to the state of <paramref name="key"/>, or a null reference when the
    /// key is absent (test with <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>). Does not mark the entry dirty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TState GetValueRefOrNullRef(in TKey key)
    {
        var i = IndexOf(key);
        if (i < 0) return ref Unsafe.NullRef<TState>();
        return ref _entries[i].State;
    }

    /// <summary>Copies the state of <paramref name="key"/> out, if present.</summary>
    public bool TryGetValue(in TKey key, out TState state)
    {
        var i = IndexOf(key);
        if (i < 0)
        {
            state = default;
            return false;
        }
        state = _entries[i].State;
        return true;
    }

    /// <summary>True when <paramref name="key"/> is present.</summary>
    public bool ContainsKey(in TKey key) => IndexOf(key) >= 0;

    /// <summary>
    /// Removes <paramref name="key"/>, shifting the rest of its probe run back so that no tombstone
    /// is left; the removal is recorded for the next <see cref="SnapshotScope.Changes"/> snapshot.
    /// </summary>
    /// <returns>True when the key was present.</returns>
    public bool Remove(in TKey key)
    {
        var i = IndexOf(key);
        if (i < 0) return false;
        RecordRemoval(key);
        RemoveAt(i);
        return true;
    }

    /// <summary>Removes every entry (recorded so that a Changes snapshot starts from empty), keeping the capacity.</summary>
    public void Clear()
    {
        if (_count == 0 && _removedCount == 0) return;
        Array.Clear(_control);
        Array.Clear(_entries);
        _count = 0;
        _removedCount = 0;
        _clearedSinceSnapshot = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int IndexOf(in TKey key)
    {
        var hash = THasher.Hash(key);
        var tag = TagOf(hash);
        var mask = _mask;
        var i = (int)hash & mask;
        var control = _control;
        var entries = _entries;
        while (true)
        {
            var c = control[i];
            if ((c & TagMask) == tag && entries[i].Key.Equals(key)) return i;
            if (c == 0) return -1;
            i = (i + 1) & mask;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte TagOf(ulong hash) => (byte)((hash >> 57) | 1);

    private void RemoveAt(int hole)
    {
        var mask = _mask;
        var control = _control;
        var entries = _entries;
        var j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            var c = control[j];
            if (c == 0) break;
            var home = (int)THasher.Hash(entries[j].Key) & mask;
            // Move j into the hole when its home slot is not inside (hole, j]: otherwise a lookup
            // starting at home would stop at the hole before reaching it.
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                entries[hole] = entries[j];
                control[hole] = c;
                hole = j;
            }
        }
        control[hole] = 0;
        entries[hole] = default;
        _count--;
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
        var slot = InsertNew(key, DirtyBit);
        return ref _entries[slot].State;
    }

    private void Grow()
    {
        if (_entries.Length >= MaxCapacity) StateThrowHelper.ThrowTableFull(_name);
        var oldEntries = _entries;
        var oldControl = _control;
        var slots = oldEntries.Length * 2;
        _entries = new StateEntry<TKey, TState>[slots];
        _control = new byte[slots];
        SetCapacity(slots);
        _count = 0;
        for (var i = 0; i < oldControl.Length; i++)
        {
            if (oldControl[i] == 0) continue;
            var slot = InsertNew(oldEntries[i].Key, (byte)(oldControl[i] & DirtyBit));
            _entries[slot].State = oldEntries[i].State;
        }
    }

    /// <summary>Inserts a key known to be absent, with room known to exist; returns its slot.</summary>
    private int InsertNew(in TKey key, byte dirty)
    {
        Debug.Assert(_count < _entries.Length, "InsertNew needs a free slot");
        var hash = THasher.Hash(key);
        var mask = _mask;
        var i = (int)hash & mask;
        while (_control[i] != 0) i = (i + 1) & mask;
        _control[i] = (byte)(TagOf(hash) | dirty);
        _entries[i].Key = key;
        _entries[i].State = default;
        _count++;
        return i;
    }

    private void SetCapacity(int slots)
    {
        _mask = slots - 1;
        _growAt = slots - slots / 4;
    }
}
