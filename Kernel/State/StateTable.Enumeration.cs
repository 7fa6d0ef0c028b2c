namespace Kernel.State;

public sealed partial class StateTable<TKey, TState, THasher>
{
    /// <summary>Enumerates every entry (in insertion order while nothing is removed; no order a caller may rely on).</summary>
    public Enumerator GetEnumerator() => new(this, changedOnly: false);

    /// <summary>Enumerates the entries written to since the last snapshot (or restore).</summary>
    public Enumerator ChangedEntries => new(this, changedOnly: true);

    /// <summary>The number of entries written to since the last snapshot (a scan of the control bytes).</summary>
    public int ChangedCount
    {
        get
        {
            var n = 0;
            foreach (var c in _control)
                if (c == Dirty) n++;
            return n;
        }
    }

    /// <summary>The number of keys removed since the last snapshot.</summary>
    public int RemovedCount => _removedCount;

    /// <summary>Forgets which entries changed and which keys were removed (a snapshot was taken elsewhere).</summary>
    public void MarkClean()
    {
        var control = _control;
        for (var i = 0; i < control.Length; i++)
            if (control[i] == Dirty) control[i] = Clean;
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
        private readonly byte[] _control;
        private readonly byte _required;
        private int _index;

        internal Enumerator(StateTable<TKey, TState, THasher> table, bool changedOnly)
        {
            _entries = table._entries;
            _control = table._control;
            _required = changedOnly ? (byte)2 : Clean;   // Dirty = 3 has both bits; Clean = 1 only the first
            _index = -1;
        }

        /// <summary>The current entry.</summary>
        public readonly ref StateEntry<TKey, TState> Current => ref _entries[_index];

        /// <summary>Moves to the next matching entry.</summary>
        public bool MoveNext()
        {
            var control = _control;
            var i = _index + 1;
            while ((uint)i < (uint)control.Length && (control[i] & _required) == 0) i++;
            _index = i;
            return i < control.Length;
        }

        /// <summary>Returns this enumerator (so <c>foreach</c> works on <see cref="ChangedEntries"/>).</summary>
        public readonly Enumerator GetEnumerator() => this;
    }
}
