namespace Kernel.State;

public sealed partial class StateTable<TKey, TState, THasher>
{
    // How far ahead the dirty-list enumeration prefetches (entries; a few DRAM latencies of work per entry).
    private const int DirtyPrefetchDistance = 8;

    /// <summary>Enumerates every entry (in insertion order while nothing is removed; no order a caller may rely on).</summary>
    public Enumerator GetEnumerator() => new(this, changedOnly: false);

    /// <summary>Enumerates the entries written to since the last snapshot (or restore).</summary>
    public Enumerator ChangedEntries => new(this, changedOnly: true);

    /// <summary>The number of entries written to since the last snapshot (the dirty list's length, or a scan of the control bytes after it overflowed).</summary>
    public int ChangedCount
    {
        get
        {
            if (!_dirtyOverflow) return _dirtyCount;
            var n = 0;
            foreach (var c in _control)
                if ((c & Dirty) == Dirty) n++;   // Dirty, or dirty and flushed (StateTable.Dirty.cs)
            return n;
        }
    }

    /// <summary>The number of keys removed since the last snapshot.</summary>
    public int RemovedCount => _removedCount;

    /// <summary>Forgets which entries changed and which keys were removed (a snapshot was taken elsewhere).</summary>
    public void MarkClean()
    {
        var control = _control;
        if (_dirtyOverflow)
        {
            // Only the dirty bit goes: a Flushed bit (a table tracking changes, StateTable.Dirty.cs) stays.
            for (var i = 0; i < control.Length; i++)
                if ((control[i] & Dirty) == Dirty) control[i] = (byte)(control[i] & ~(Dirty & ~Clean));
        }
        else if (TracksChanges)
        {
            var list = _dirtySlots;
            for (var i = 0; i < _dirtyCount; i++) control[list[i]] = (byte)(control[list[i]] & ~(Dirty & ~Clean));
        }
        else
        {
            // No Flushed bit to keep: a plain store. Reading each listed control byte first (scattered over
            // the table) cost a 1M-key windowed operator ~45 us more per barrier (checkpoint-pause suite).
            var list = _dirtySlots;
            for (var i = 0; i < _dirtyCount; i++) control[list[i]] = Clean;
        }
        _dirtyCount = 0;
        _dirtyOverflow = _dirtySlots.Length == 0;
        _removedCount = 0;
        _clearedSinceSnapshot = false;
    }

    /// <summary>
    /// An allocation-free enumerator over the table's entries, by reference: the state may be
    /// updated in place through <see cref="Current"/>, but keys must not be added or removed while
    /// enumerating.
    /// </summary>
    public ref struct Enumerator
    {
        private readonly StateTable<TKey, TState, THasher> _table;
        private readonly byte[] _control;
        private readonly int[]? _list;    // the dirty list when enumerating changes from it; null: scan
        private readonly int _listCount;
        private readonly byte _required;
        private int _index;
        private int _position;

        internal Enumerator(StateTable<TKey, TState, THasher> table, bool changedOnly)
        {
            _table = table;
            _control = table._control;
            _required = changedOnly ? (byte)2 : Clean;   // Dirty = 3 has both bits; Clean = 1 only the first
            _index = -1;
            _position = -1;
            if (changedOnly && !table._dirtyOverflow)
            {
                _list = table._dirtySlots;
                _listCount = table._dirtyCount;
            }
        }

        /// <summary>The current entry.</summary>
        public readonly ref StateEntry<TKey, TState> Current => ref _table.EntryAt(_index);

        /// <summary>
        /// Marks the current entry dirty: for a caller that changed it through <see cref="Current"/>
        /// (which does not mark it) and wants the change in the next incremental snapshot.
        /// </summary>
        public readonly void MarkDirty() => _table.MarkSlotDirty(_index);

        /// <summary>Moves to the next matching entry.</summary>
        public bool MoveNext()
        {
            if (_list is not null)
            {
                // The list holds exactly the dirty slots (see StateTable.Dirty.cs), in the order they turned dirty.
                var p = _position + 1;
                _position = p;
                if (p >= _listCount) return false;
                _index = _list[p];
                // Dirty slots are scattered over a table far bigger than the cache: ask for the entry a
                // few slots ahead now, so it is in cache when reached (checkpoint quick suite, pause).
                if (p + DirtyPrefetchDistance < _listCount) _table.PrefetchEntryStart(_list[p + DirtyPrefetchDistance]);
                return true;
            }
            var control = _control;
            var i = _index + 1;
            while ((uint)i < (uint)control.Length && (control[i] & _required) == 0) i++;
            _index = i;
            return i < control.Length;
        }

        /// <summary>Returns this enumerator (so <c>foreach</c> works on <see cref="ChangedEntries"/>).</summary>
        public readonly Enumerator GetEnumerator() => this;
    }

    /// <summary>A prefetch hint for the first byte of the entry in <paramref name="slot"/>, a slot of the table (the dirty list's invariant).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchEntryStart(int slot)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(System.Runtime.CompilerServices.Unsafe.AsPointer(ref EntryAt(slot)));
    }
}
