using System.Numerics;
using System.Runtime.CompilerServices;
using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Tables;

namespace Kernel.Storage.Lsm.Memory;

/// <summary>
/// The in-memory write buffer: a sorted arena. Entries are appended to one byte arena (no object
/// per entry) and found through an open-addressing hash index of user keys; each key's versions
/// form a chain from newest to oldest. Sorted order is built only when something iterates (a
/// flush, a scan) and is cached, extended by sorting and merging the keys added since.
/// Chosen over a skip list measured in the quick suite (<c>lsm put-random</c>): a random insert
/// costs one hash probe instead of ~30 cache-missing skip-list steps, and point reads likewise.
/// Append mode: while every key arrives after the one before (sequential puts), a key is only
/// appended to the arena and to the list of distinct keys, which is then already sorted: no
/// hash, no probe (the slot table is not even allocated), and point reads binary-search that
/// list (quick suite <c>lsm put-seq</c>). The first key that does not sort after the last one
/// ends append mode for this memtable: every key so far is indexed in the hash, and from then
/// on keys go through it. An entry of the distinct list is a slot (hash mode) or the complement
/// of a node (<c>~node</c>, append mode); <see cref="NodeOf"/> reads either.
/// One writer at a time (the store's write lock), any number of lock-free readers.
/// <code>
/// arena (4-aligned nodes, offset 0 reserved as "none"):
/// +------------+--------------+-----------------+--------------+-------+
/// | keyLen i32 | valueLen i32 | older node i32  | internal key | value |
/// +------------+--------------+-----------------+--------------+-------+
/// hash slot (i64): high 32 bits = hash tag, low 32 bits = newest node of the key (0 = empty)
/// </code>
/// Memory ordering: a node's bytes are written with plain stores before the slot that names it
/// is published with <see cref="Volatile.Write(ref long, long)"/>; readers load slots with
/// <see cref="Volatile.Read(ref readonly long)"/>. The distinct-key count is published after its slot.
/// Readers skip versions above their snapshot, which hides a batch still being applied.
/// </summary>
internal sealed class Memtable
{
    private const int HeaderBytes = 12;

    private readonly int _capacity;
    private readonly int _slotCount;
    private readonly int _mask;
    private readonly int _maxDistinct;
    // Allocated by the first Add (writer), before the first slot is published: a memtable that
    // stays empty (a store opened to be read, the one made on close) costs no arena (quick suite lsm reopen).
    private byte[] _arena = [];
    private long[] _slots = [];
    private int[] _distinct = [];            // slot of each distinct key, in first-insert order
    private int _lastDistinctNode;           // writer only: newest node of the last new key
    private volatile bool _append = true;    // append mode (see above); cleared once, after the hash holds every key
    private volatile bool _ordered = true;   // every new key so far arrived after the one before (cleared before the count is published)
    private int _used = 16;                  // writer writes, Volatile for readers of UsedBytes
    private int _distinctCount;              // published with Volatile.Write after the slot
    private long _count;
    private RangeTombstone[] _tombstones = [];   // copy-on-write; published with Volatile.Write
    private readonly Lock _sortLock = new();
    private int[] _sorted = [];              // guarded by _sortLock; each published array is immutable

    public Memtable(int capacity, ulong walNumber)
    {
        _capacity = Math.Max(capacity, 4096);
        _slotCount = (int)Math.Min(1 << 30, BitOperations.RoundUpToPowerOf2((uint)Math.Max(1024, _capacity / 32)));
        _mask = _slotCount - 1;
        _maxDistinct = _slotCount / 4 * 3;
        WalNumber = walNumber;
    }

    private void Allocate()
    {
        _arena = GC.AllocateUninitializedArray<byte>(_capacity);
        _distinct = GC.AllocateUninitializedArray<int>(_maxDistinct);
    }

    public ulong WalNumber { get; }
    public int Capacity => _capacity;
    public int UsedBytes => Volatile.Read(ref _used);
    public long Count => Volatile.Read(ref _count);
    public ulong MinSequence { get; private set; } = ulong.MaxValue;
    public ulong MaxSequence { get; private set; }
    public RangeTombstone[] Tombstones => Volatile.Read(ref _tombstones);
    public bool IsEmpty => Count == 0 && Tombstones.Length == 0;

    /// <summary>Arena bytes one entry needs.</summary>
    public static int NodeBytes(int userKeyLength, int valueLength) =>
        Align(HeaderBytes + userKeyLength + InternalKey.TrailerBytes + valueLength);

    /// <summary>True when <paramref name="entries"/> entries of <paramref name="bytes"/> arena bytes in all fit.</summary>
    public bool HasRoom(int bytes, int entries) =>
        _used + (long)bytes <= _capacity && _distinctCount + (long)entries <= _maxDistinct;

    public void AddTombstone(RangeTombstone tombstone)
    {
        var old = _tombstones;
        var next = new RangeTombstone[old.Length + 1];
        old.CopyTo(next, 0);
        next[^1] = tombstone;
        Note(tombstone.Sequence);
        Volatile.Write(ref _tombstones, next);
    }

    /// <summary>Adds an entry (writer only). The caller checked <see cref="HasRoom"/>.</summary>
    public void Add(ReadOnlySpan<byte> userKey, ulong sequence, EntryKind kind, ReadOnlySpan<byte> value)
    {
        if (_arena.Length == 0) Allocate();
        var keyLength = userKey.Length + InternalKey.TrailerBytes;
        var node = _used;
        Int(node) = keyLength;
        Int(node + 4) = value.Length;
        InternalKey.Write(_arena.AsSpan(node + HeaderBytes, keyLength), userKey, sequence, kind);
        value.CopyTo(_arena.AsSpan(node + HeaderBytes + keyLength));
        Volatile.Write(ref _used, Align(node + HeaderBytes + keyLength + value.Length));
        if (_append)
        {
            if (_distinctCount == 0 || UserKeyAt(_lastDistinctNode).SequenceCompareTo(userKey) < 0)
            {
                Int(node + 8) = 0;
                _lastDistinctNode = node;
                _distinct[_distinctCount] = ~node;
                Volatile.Write(ref _distinctCount, _distinctCount + 1);
                Note(sequence);
                Volatile.Write(ref _count, _count + 1);
                return;
            }
            LeaveAppendMode();
        }
        var hash = BloomFilter.Hash(userKey);
        var tag = (long)(hash >> 32) << 32;
        var i = (int)hash & _mask;
        while (true)
        {
            var s = _slots[i];
            if (s == 0)
            {
                Int(node + 8) = 0;
                // Keys that arrive in order (sequential puts) need no sort at flush (quick suite lsm put-seq).
                if (_ordered && _distinctCount > 0 && UserKeyAt(_lastDistinctNode).SequenceCompareTo(userKey) > 0) _ordered = false;
                _lastDistinctNode = node;
                Volatile.Write(ref _slots[i], tag | (uint)node);
                _distinct[_distinctCount] = i;
                Volatile.Write(ref _distinctCount, _distinctCount + 1);
                break;
            }
            if ((s & ~0xFFFF_FFFFL) == tag && UserKeyAt((int)s).SequenceEqual(userKey))
            {
                Int(node + 8) = (int)s;   // older version
                Volatile.Write(ref _slots[i], tag | (uint)node);
                break;
            }
            i = (i + 1) & _mask;
        }
        Note(sequence);
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>
    /// Ends append mode (writer): indexes every key so far in the hash and turns their entries
    /// into slots, in place (a reader may see either form of an entry: both name the same node,
    /// and the list's order does not change). The cached sorted order is dropped: its node
    /// entries would not see versions added from now on. Published by clearing <see cref="_append"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LeaveAppendMode()
    {
        lock (_sortLock)
        {
            _slots = new long[_slotCount];
            for (var k = 0; k < _distinctCount; k++)
            {
                var node = ~_distinct[k];
                var hash = BloomFilter.Hash(UserKeyAt(node));
                var i = (int)hash & _mask;
                while (_slots[i] != 0) i = (i + 1) & _mask;   // keys of an append run are distinct
                _slots[i] = ((long)(hash >> 32) << 32) | (uint)node;
                Volatile.Write(ref _distinct[k], i);
            }
            _sorted = [];
            _append = false;   // volatile: publishes _slots and the slots above
        }
    }

    /// <summary>The newest version of <paramref name="userKey"/> at or below <paramref name="snapshot"/>; the value view points into the arena.</summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshot, out EntryKind kind, out ulong sequence, out ReadOnlySpan<byte> value)
    {
        if (_append) return TryGetAppended(userKey, snapshot, out kind, out sequence, out value);
        return TryGetHashed(userKey, snapshot, out kind, out sequence, out value);
    }

    /// <summary>A point read through the hash (append mode has ended).</summary>
    private bool TryGetHashed(ReadOnlySpan<byte> userKey, ulong snapshot, out EntryKind kind, out ulong sequence, out ReadOnlySpan<byte> value)
    {
        if (Volatile.Read(ref _distinctCount) != 0)
        {
            var hash = BloomFilter.Hash(userKey);
            var tag = (long)(hash >> 32) << 32;
            var i = (int)hash & _mask;
            while (true)
            {
                var s = Volatile.Read(ref _slots[i]);
                if (s == 0) break;
                if ((s & ~0xFFFF_FFFFL) == tag && UserKeyAt((int)s).SequenceEqual(userKey))
                {
                    for (var node = (int)s; node != 0; node = OlderOf(node))
                    {
                        var trailer = InternalKey.TrailerOf(KeyAt(node));
                        if (trailer >> 8 > snapshot) continue;
                        kind = (EntryKind)(byte)trailer;
                        sequence = trailer >> 8;
                        value = ValueAt(node);
                        return true;
                    }
                    break;
                }
                i = (i + 1) & _mask;
            }
        }
        kind = default;
        sequence = 0;
        value = default;
        return false;
    }

    /// <summary>A point read in append mode: a binary search of the distinct list (sorted in that mode); each key has one version.</summary>
    private bool TryGetAppended(ReadOnlySpan<byte> userKey, ulong snapshot, out EntryKind kind, out ulong sequence, out ReadOnlySpan<byte> value)
    {
        int lo = 0, hi = Volatile.Read(ref _distinctCount);
        // Append mode may have ended since the caller looked: the writer clears _append before it
        // publishes a count that takes in an out-of-order key, so read after the count, a true here
        // means the first `hi` entries are sorted; false, the binary search could miss (use the hash).
        if (!_append) return TryGetHashed(userKey, snapshot, out kind, out sequence, out value);
        var distinct = _distinct;   // after the count: the first Add allocates it before publishing a count
        if (hi != 0 && UserKeyAt(NodeOf(Volatile.Read(ref distinct[hi - 1]))).SequenceCompareTo(userKey) >= 0)
        {
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (UserKeyAt(NodeOf(Volatile.Read(ref distinct[mid]))).SequenceCompareTo(userKey) < 0) lo = mid + 1;
                else hi = mid;
            }
            // The entry may have turned into a slot meanwhile (append mode ended): NodeOf reads its newest version.
            for (var node = NodeOf(Volatile.Read(ref distinct[lo])); node != 0; node = OlderOf(node))
            {
                if (!UserKeyAt(node).SequenceEqual(userKey)) break;
                var trailer = InternalKey.TrailerOf(KeyAt(node));
                if (trailer >> 8 > snapshot) continue;
                kind = (EntryKind)(byte)trailer;
                sequence = trailer >> 8;
                value = ValueAt(node);
                return true;
            }
        }
        kind = default;
        sequence = 0;
        value = default;
        return false;
    }

    /// <summary>Entries of the distinct keys (see <see cref="NodeOf"/>) in user-key order, including every key added before the call.</summary>
    internal int[] SortedSlots()
    {
        lock (_sortLock)
        {
            var count = Volatile.Read(ref _distinctCount);
            var sorted = _sorted;
            if (sorted.Length == count) return sorted;
            if (_ordered)
            {
                // Read after the count: true here means the first `count` keys arrived in order.
                _sorted = _distinct.AsSpan(0, count).ToArray();
                return _sorted;
            }
            var added = _distinct.AsSpan(sorted.Length, count - sorted.Length).ToArray();
            SortSlots(added);
            var merged = new int[count];
            int a = 0, b = 0, o = 0;
            while (a < sorted.Length && b < added.Length)
                merged[o++] = CompareSlots(sorted[a], added[b]) <= 0 ? sorted[a++] : added[b++];
            while (a < sorted.Length) merged[o++] = sorted[a++];
            while (b < added.Length) merged[o++] = added[b++];
            _sorted = merged;
            return merged;
        }
    }

    /// <summary>The newest node of an entry of the distinct list: a slot's newest node, or the node of an append-mode entry (<c>~node</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int NodeOf(int entry) => entry < 0 ? ~entry : (int)Volatile.Read(ref _slots[entry]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int OlderOf(int node) => Int(node + 8);

    internal ReadOnlySpan<byte> KeyAt(int node) => _arena.AsSpan(node + HeaderBytes, Int(node));

    internal ReadOnlySpan<byte> UserKeyAt(int node) => _arena.AsSpan(node + HeaderBytes, Int(node) - InternalKey.TrailerBytes);

    internal ReadOnlySpan<byte> ValueAt(int node) => _arena.AsSpan(node + HeaderBytes + Int(node), Int(node + 4));

    /// <summary>
    /// Sorts slots by user key: first by the keys' 8-byte big-endian prefixes (a primitive sort,
    /// no delegate call per compare), then each run of equal prefixes by the whole key.
    /// </summary>
    private void SortSlots(int[] slots)
    {
        var prefixes = System.Buffers.ArrayPool<ulong>.Shared.Rent(slots.Length);
        for (var i = 0; i < slots.Length; i++) prefixes[i] = CachedBlock.Prefix(UserKeyAt(NodeOf(slots[i])));
        Array.Sort(prefixes, slots, 0, slots.Length);
        var comparer = Comparer<int>.Create(CompareSlots);
        for (var start = 0; start < slots.Length;)
        {
            var end = start + 1;
            while (end < slots.Length && prefixes[end] == prefixes[start]) end++;
            if (end - start > 1) Array.Sort(slots, start, end - start, comparer);
            start = end;
        }
        System.Buffers.ArrayPool<ulong>.Shared.Return(prefixes);
    }

    private int CompareSlots(int a, int b) => UserKeyAt(NodeOf(a)).SequenceCompareTo(UserKeyAt(NodeOf(b)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int Int(int offset) => ref Unsafe.As<byte, int>(ref _arena[offset]);

    private void Note(ulong sequence)
    {
        if (sequence < MinSequence) MinSequence = sequence;
        if (sequence > MaxSequence) MaxSequence = sequence;
    }

    private static int Align(int n) => (n + 3) & ~3;
}
