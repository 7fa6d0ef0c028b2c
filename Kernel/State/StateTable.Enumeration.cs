namespace Kernel.State;

public sealed partial class StateTable<TKey, TState, THasher>
{
    /// <summary>Enumerates every entry (in insertion order while nothing is removed; no order a caller may rely on).</summary>
    public Enumerator GetEnumerator() => new(this, changedOnly: false);

    /// <summary>Enumerates the entries written to since the last snapshot (or restore).</summary>
    public Enumerator ChangedEntries => new(this, changedOnly: true);

    /// <summary>The number of entries written to since the last snapshot (a scan of the dirty flags).</summary>
    public int ChangedCount
    {
        get
        {
            var n = 0;
            var dirty = _dirty;
            for (var d = 0; d < _count; d++) n += dirty[d];
            return n;
        }
    }

    /// <summary>The number of keys removed since the last snapshot.</summary>
    public int RemovedCount => _removedCount;

    /// <summary>Forgets which entries changed and which keys were removed (a snapshot was taken elsewhere).</summary>
    public void MarkClean()
    {
        Array.Clear(_dirty, 0, _count);
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
        private readonly StateEntry<TKey, TState>[] _entries;
        private readonly byte[] _dirty;
        private readonly int _count;
        private readonly bool _changedOnly;
        private int _index;

        internal Enumerator(StateTable<TKey, TState, THasher> table, bool changedOnly)
        {
            _entries = table._entries;
            _dirty = table._dirty;
            _count = table._count;
            _changedOnly = changedOnly;
            _index = -1;
        }

        /// <summary>The current entry.</summary>
        public readonly ref StateEntry<TKey, TState> Current => ref _entries[_index];

        /// <summary>Moves to the next matching entry.</summary>
        public bool MoveNext()
        {
            var i = _index + 1;
            if (_changedOnly)
                while (i < _count && _dirty[i] == 0) i++;
            _index = i;
            return i < _count;
        }

        /// <summary>Returns this enumerator (so <c>foreach</c> works on <see cref="ChangedEntries"/>).</summary>
        public readonly Enumerator GetEnumerator() => this;
    }
}
