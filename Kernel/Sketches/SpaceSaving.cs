using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

/// <summary>
/// SpaceSaving (Metwally, Agrawal and El Abbadi, 2005): the approximate top keys of a stream of
/// non-negative increments in k counters. Every key whose true count exceeds N/k is monitored;
/// each monitored count overestimates by at most its recorded error, which is at most N/k
/// (N = <see cref="Total"/>). Allocation-free after construction; O(log k) per update.
/// </summary>
/// <remarks>
/// <para>Counters live in a min-heap on count, so the counter an unmonitored key takes over (the
/// smallest) is the root; an open-addressing index (linear probing, load ≤ 1/2, backward-shift
/// deletion) maps keys to heap positions. A new key evicts the root and inherits its count as
/// its error: that is where the bound Count − Error ≤ true ≤ Count comes from.</para>
/// <para>Not thread-safe (one writer).</para>
/// </remarks>
/// <typeparam name="TKey">The counted key, hashed with its own <see cref="object.GetHashCode"/> (a constrained call: no boxing).</typeparam>
public sealed partial class SpaceSaving<TKey> where TKey : unmanaged, IEquatable<TKey>
{
    // A 4-ary min-heap of counters on _counts: position 0 holds the smallest count.
    private readonly TKey[] _keys;
    private readonly long[] _counts;
    private readonly long[] _errors;
    private readonly int[] _slotOf; // heap position → index slot

    // Index: slot → heap position + 1 (0 = empty).
    private readonly int[] _index;
    private readonly int _indexBits;
    private readonly HeavyHitter<TKey>[] _scratch;

    private int _size;
    private long _total;

    /// <summary>Creates a summary of <paramref name="capacity"/> counters (k).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public SpaceSaving(int capacity)
    {
        if (capacity <= 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(capacity), $"SpaceSaving needs at least one counter; capacity was {capacity}.");
        _keys = new TKey[capacity];
        _counts = new long[capacity];
        _errors = new long[capacity];
        _slotOf = new int[capacity];
        _indexBits = KeyIndex.BitsFor(capacity);
        _index = new int[1 << _indexBits];
        _scratch = new HeavyHitter<TKey>[capacity];
    }

    /// <summary>The number of counters k.</summary>
    public int Capacity => _keys.Length;

    /// <summary>How many keys are monitored (at most k).</summary>
    public int Count => _size;

    /// <summary>The sum of all increments N.</summary>
    public long Total => _total;

    /// <summary>
    /// The largest count a key that is not monitored can have: the smallest counter once all k are
    /// in use (at most N/k), else 0.
    /// </summary>
    public long UnmonitoredBound => _size == _keys.Length ? _counts[0] : 0;

    /// <summary>Counts <paramref name="count"/> (≥ 0) occurrences of <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public void Add(in TKey key, long count = 1)
    {
        if (count < 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(count), $"SpaceSaving takes increments ≥ 0; it was {count}.");
        _total += count;
        var position = Find(in key);
        if (position >= 0)
        {
            _counts[position] += count;
            SiftDown(position);
            return;
        }
        if (_size < _keys.Length)
        {
            position = _size++;
            _keys[position] = key;
            _counts[position] = count;
            _errors[position] = 0;
            IndexInsert(position);
            SiftUp(position);
            return;
        }
        // Evict the smallest counter: the new key inherits its count as error.
        IndexRemove(_slotOf[0]);
        var floor = _counts[0];
        _keys[0] = key;
        _errors[0] = floor;
        _counts[0] = floor + count;
        IndexInsert(0);
        SiftDown(0);
    }

    /// <summary>The monitored count and error of <paramref name="key"/>; false (count bounded by <see cref="UnmonitoredBound"/>) when not monitored.</summary>
    public bool TryGetCount(in TKey key, out long count, out long error)
    {
        var position = Find(in key);
        if (position < 0)
        {
            count = 0;
            error = 0;
            return false;
        }
        count = _counts[position];
        error = _errors[position];
        return true;
    }

    /// <summary>
    /// Writes the top min(<paramref name="destination"/>.Length, <see cref="Count"/>) keys, highest
    /// count first, with their bounds, and returns how many were written. Allocation-free.
    /// </summary>
    public int CopyTop(Span<HeavyHitter<TKey>> destination)
    {
        var all = _scratch.AsSpan(0, _size);
        for (var i = 0; i < _size; i++)
            all[i] = new HeavyHitter<TKey>(_keys[i], _counts[i], _errors[i], false);
        HeapSort.Sort(all, default(ByCountDescending));
        var written = Math.Min(destination.Length, _size);
        // Any key outside the first `written` has a true count ≤ the next reported count, or ≤ the
        // unmonitored bound when every monitored key is reported.
        var outside = written < _size ? all[written].Count : UnmonitoredBound;
        for (var i = 0; i < written; i++)
            destination[i] = all[i] with { Guaranteed = all[i].LowerBound >= outside };
        return written;
    }

    /// <summary>Forgets every key.</summary>
    public void Clear()
    {
        Array.Clear(_index);
        _size = 0;
        _total = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Find(in TKey key) => KeyIndex.Find(_index, _indexBits, _keys, in key);

    private void IndexInsert(int position) => KeyIndex.Insert(_index, _indexBits, _keys, _slotOf, position);

    private void IndexRemove(int slot) => KeyIndex.Remove(_index, _indexBits, _keys, _slotOf, slot);

    // A 4-ary heap: half the depth of a binary one, and a node's four children share a cache line
    // of _counts. On a heavy-tailed stream most updates evict the root with count min + 1, which
    // sinks past every counter tied at min; fewer levels is what makes that cheap (the topk case
    // of the sketches quick suite). Sifts move a hole rather than swapping pairs.
    private const int Arity = 4;

    private void SiftUp(int position)
    {
        var key = _keys[position];
        var count = _counts[position];
        var error = _errors[position];
        var slot = _slotOf[position];
        while (position > 0)
        {
            var parent = (position - 1) / Arity;
            if (_counts[parent] <= count)
                break;
            MoveTo(parent, position);
            position = parent;
        }
        Put(position, in key, count, error, slot);
    }

    private void SiftDown(int position)
    {
        var key = _keys[position];
        var count = _counts[position];
        var error = _errors[position];
        var slot = _slotOf[position];
        var size = _size;
        while (true)
        {
            var first = Arity * position + 1;
            if (first >= size)
                break;
            var last = Math.Min(first + Arity, size);
            var child = first;
            var childCount = _counts[first];
            for (var c = first + 1; c < last; c++)
            {
                if (_counts[c] < childCount)
                {
                    child = c;
                    childCount = _counts[c];
                }
            }
            if (childCount >= count)
                break;
            MoveTo(child, position);
            position = child;
        }
        Put(position, in key, count, error, slot);
    }

    /// <summary>Moves the counter at <paramref name="from"/> into the hole at <paramref name="to"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void MoveTo(int from, int to)
    {
        _keys[to] = _keys[from];
        _counts[to] = _counts[from];
        _errors[to] = _errors[from];
        var slot = _slotOf[from];
        _slotOf[to] = slot;
        _index[slot] = to + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Put(int position, in TKey key, long count, long error, int slot)
    {
        _keys[position] = key;
        _counts[position] = count;
        _errors[position] = error;
        _slotOf[position] = slot;
        _index[slot] = position + 1;
        Debug.Assert(position == 0 || _counts[(position - 1) / Arity] <= count, "Heap order holds at the placed counter.");
    }

    private readonly struct ByCountDescending : IComparer<HeavyHitter<TKey>>
    {
        public int Compare(HeavyHitter<TKey> x, HeavyHitter<TKey> y) => y.Count.CompareTo(x.Count);
    }
}
