using System.Diagnostics;
using System.Runtime.CompilerServices;
using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Memory;

/// <summary>
/// The in-memory write buffer: a skip list whose nodes live in one byte arena (no object per
/// entry, nothing for the GC to trace). One writer at a time (the store's write lock) and any
/// number of lock-free readers. Chosen over a sorted arena because inserts in random key order
/// stay O(log n) without moving bytes (quick suite <c>lsm put-random</c>).
/// <code>
/// node at offset n (4-aligned), inside the arena:
/// +------------+--------------+-----------+----------------------+--------------+-------+
/// | keyLen i32 | valueLen i32 | height i32| next[height] i32 ... | internal key | value |
/// +------------+--------------+-----------+----------------------+--------------+-------+
/// offset 0 holds the head node (height MaxHeight, no key); next == 0 means "none".
/// </code>
/// Memory ordering: a node's bytes are written with plain stores, then linked in bottom-up with
/// <see cref="Volatile.Write(ref int, int)"/> (release); readers follow links with
/// <see cref="Volatile.Read(ref int)"/> (acquire), so a reader that sees a link sees the node.
/// Readers ignore entries whose sequence exceeds their snapshot, which hides a batch in flight.
/// </summary>
internal sealed class Memtable
{
    public const int MaxHeight = 12;
    private const int HeaderBytes = 12;

    private readonly byte[] _arena;
    private int _used;             // writer only
    private int _height = 1;       // writer writes, readers read (a stale smaller height is still correct)
    private uint _random = 0x2545F491;
    private long _count;
    private RangeTombstone[] _tombstones = [];   // copy-on-write; published with Volatile.Write

    public Memtable(int capacity, ulong walNumber)
    {
        _arena = GC.AllocateUninitializedArray<byte>(Math.Max(capacity, 4096));
        WalNumber = walNumber;
        InitNode(0, 0, 0, MaxHeight);
        _used = Align(HeaderBytes + 4 * MaxHeight);
    }

    /// <summary>Number of the write-ahead log that holds this memtable's writes (0 without a WAL).</summary>
    public ulong WalNumber { get; }

    /// <summary>Arena bytes available in all.</summary>
    public int Capacity => _arena.Length;

    /// <summary>Arena bytes in use.</summary>
    public int UsedBytes => Volatile.Read(ref _used);

    /// <summary>Entries added (point entries only).</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Smallest sequence stored, or <see cref="ulong.MaxValue"/> when empty.</summary>
    public ulong MinSequence { get; private set; } = ulong.MaxValue;

    /// <summary>Largest sequence stored.</summary>
    public ulong MaxSequence { get; private set; }

    /// <summary>Range tombstones added to this memtable, in insertion order.</summary>
    public RangeTombstone[] Tombstones => Volatile.Read(ref _tombstones);

    /// <summary>True when nothing was written.</summary>
    public bool IsEmpty => Count == 0 && Tombstones.Length == 0;

    /// <summary>Arena bytes one entry needs.</summary>
    public static int NodeBytes(int userKeyLength, int valueLength) =>
        Align(HeaderBytes + 4 * MaxHeight + userKeyLength + InternalKey.TrailerBytes + valueLength);

    /// <summary>True when an entry of these sizes fits.</summary>
    public bool HasRoom(int userKeyLength, int valueLength) => _used + NodeBytes(userKeyLength, valueLength) <= _arena.Length;

    /// <summary>Adds a range tombstone (writer only).</summary>
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
        Debug.Assert(HasRoom(userKey.Length, value.Length), "caller checks room first");
        Span<int> prev = stackalloc int[MaxHeight];
        var trailer = InternalKey.Trailer(sequence, kind);
        FindGreaterOrEqual(userKey, trailer, prev);
        var height = RandomHeight();
        if (height > _height)
        {
            for (var i = _height; i < height; i++) prev[i] = 0;
            Volatile.Write(ref _height, height);
        }
        var keyLength = userKey.Length + InternalKey.TrailerBytes;
        var node = _used;
        InitNode(node, keyLength, value.Length, height);
        var keyAt = node + HeaderBytes + 4 * height;
        InternalKey.Write(_arena.AsSpan(keyAt, keyLength), userKey, sequence, kind);
        value.CopyTo(_arena.AsSpan(keyAt + keyLength));
        _used = Align(keyAt + keyLength + value.Length);
        for (var i = 0; i < height; i++)
        {
            Slot(node, i) = NextOf(prev[i], i);
            Volatile.Write(ref Slot(prev[i], i), node);
        }
        Note(sequence);
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>
    /// Finds the newest version of <paramref name="userKey"/> with a sequence at or below
    /// <paramref name="snapshot"/>. The value view points into the arena (which never changes once written).
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshot, out EntryKind kind, out ulong sequence, out ReadOnlySpan<byte> value)
    {
        var node = FindGreaterOrEqual(userKey, InternalKey.Trailer(snapshot, EntryKind.Value), default);
        if (node != 0)
        {
            var key = KeyAt(node);
            if (InternalKey.UserKey(key).SequenceEqual(userKey))
            {
                var trailer = InternalKey.TrailerOf(key);
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

    internal ReadOnlySpan<byte> KeyAt(int node) =>
        _arena.AsSpan(node + HeaderBytes + 4 * HeightOf(node), LengthOf(node));

    internal ReadOnlySpan<byte> ValueAt(int node)
    {
        var keyAt = node + HeaderBytes + 4 * HeightOf(node);
        var keyLength = LengthOf(node);
        return _arena.AsSpan(keyAt + keyLength, Unsafe.As<byte, int>(ref _arena[node + 4]));
    }

    /// <summary>The first node at or after (userKey, trailer); fills <paramref name="prev"/> when not empty.</summary>
    internal int FindGreaterOrEqual(ReadOnlySpan<byte> userKey, ulong trailer, Span<int> prev)
    {
        var x = 0;
        var level = Volatile.Read(ref _height) - 1;
        while (true)
        {
            var next = NextOf(x, level);
            if (next != 0 && InternalKey.Compare(KeyAt(next), userKey, trailer) < 0)
            {
                x = next;
                continue;
            }
            if (!prev.IsEmpty) prev[level] = x;
            if (level == 0) return next;
            level--;
        }
    }

    /// <summary>The last node strictly before <paramref name="target"/>, or 0 (the head).</summary>
    internal int FindLessThan(ReadOnlySpan<byte> target)
    {
        var x = 0;
        var level = Volatile.Read(ref _height) - 1;
        while (true)
        {
            var next = NextOf(x, level);
            if (next != 0 && InternalKey.Compare(KeyAt(next), target) < 0)
            {
                x = next;
                continue;
            }
            if (level == 0) return x;
            level--;
        }
    }

    /// <summary>The last node, or 0 when empty.</summary>
    internal int FindLast()
    {
        var x = 0;
        var level = Volatile.Read(ref _height) - 1;
        while (true)
        {
            var next = NextOf(x, level);
            if (next != 0) { x = next; continue; }
            if (level == 0) return x;
            level--;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int NextOf(int node, int level) => Volatile.Read(ref Slot(node, level));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int Slot(int node, int level) => ref Unsafe.As<byte, int>(ref _arena[node + HeaderBytes + 4 * level]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int HeightOf(int node) => Unsafe.As<byte, int>(ref _arena[node + 8]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LengthOf(int node) => Unsafe.As<byte, int>(ref _arena[node]);

    private void InitNode(int node, int keyLength, int valueLength, int height)
    {
        Unsafe.As<byte, int>(ref _arena[node]) = keyLength;
        Unsafe.As<byte, int>(ref _arena[node + 4]) = valueLength;
        Unsafe.As<byte, int>(ref _arena[node + 8]) = height;
        for (var i = 0; i < height; i++) Slot(node, i) = 0;
    }

    private int RandomHeight()
    {
        var height = 1;
        while (height < MaxHeight)
        {
            _random ^= _random << 13;
            _random ^= _random >> 17;
            _random ^= _random << 5;
            if ((_random & 3) != 0) break;
            height++;
        }
        return height;
    }

    private void Note(ulong sequence)
    {
        if (sequence < MinSequence) MinSequence = sequence;
        if (sequence > MaxSequence) MaxSequence = sequence;
    }

    private static int Align(int n) => (n + 3) & ~3;
}
