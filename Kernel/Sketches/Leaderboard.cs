using System.Numerics;
using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

/// <summary>
/// The exact top K keys of a keyed aggregate by value ("top 10 products by revenue per day"),
/// kept current as values move up or down, in O(log n) per change for n keys. Ranking: larger
/// value first, ties by smaller key, so the list equals sorting the whole table that way.
/// </summary>
/// <remarks>
/// <para>Every key is held in one of two heaps: <i>top</i>, a heap of the K best whose root is the
/// worst of them, and <i>rest</i>, a heap of all the others whose root is the best of them. The
/// invariant is that top's root ranks above rest's root. A change moves one key, which can break
/// the invariant only between the two roots, so restoring it takes at most one swap of roots.
/// An open-addressing index maps each key to its node.</para>
/// <para>Allocation-free while the number of keys stays within the capacity; past it, the node
/// arrays double once (a rare slow path). Not thread-safe (one writer).</para>
/// </remarks>
/// <typeparam name="TKey">The key; hashed with its own hash code, tie-broken with its comparison.</typeparam>
/// <typeparam name="TValue">The ranked value; any number type (NaN is refused).</typeparam>
public sealed partial class Leaderboard<TKey, TValue>
    where TKey : unmanaged, IEquatable<TKey>, IComparable<TKey>
    where TValue : unmanaged, INumber<TValue>
{
    private readonly int _k;

    // Nodes [0, _count): a key, its value, and where it sits: position p in top (≥ 0) or ~p in rest.
    private TKey[] _keys;
    private TValue[] _values;
    private int[] _place;
    private int[] _slotOf;
    private int _count;

    private readonly int[] _top; // node ids; root = the worst of the top K
    private int _topCount;
    private int[] _rest; // node ids; root = the best of the others
    private int _restCount;

    private int[] _index;
    private int _indexBits;
    private readonly LeaderboardEntry<TKey, TValue>[] _scratch;

    /// <summary>Creates a leaderboard of the top <paramref name="k"/> keys with room for <paramref name="capacity"/> keys before it grows.</summary>
    /// <exception cref="ArgumentOutOfRangeException">k or the capacity is not positive.</exception>
    public Leaderboard(int k, int capacity = 1024)
    {
        if (k <= 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(k), $"A leaderboard ranks at least one key; k was {k}.");
        if (capacity <= 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(capacity), $"The capacity must be positive; it was {capacity}.");
        _k = k;
        capacity = Math.Max(capacity, k);
        _keys = new TKey[capacity];
        _values = new TValue[capacity];
        _place = new int[capacity];
        _slotOf = new int[capacity];
        _top = new int[k];
        _rest = new int[capacity];
        _indexBits = KeyIndex.BitsFor(capacity);
        _index = new int[1 << _indexBits];
        _scratch = new LeaderboardEntry<TKey, TValue>[k];
    }

    /// <summary>How many keys are ranked (K).</summary>
    public int K => _k;

    /// <summary>How many keys the leaderboard holds (all of the aggregate's keys it was told about).</summary>
    public int Count => _count;

    /// <summary>Sets <paramref name="key"/>'s value (adding the key if new) and re-ranks it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is NaN.</exception>
    public void Set(in TKey key, TValue value)
    {
        if (TValue.IsNaN(value))
            ThrowNaN();
        var node = KeyIndex.Find(_index, _indexBits, _keys, in key);
        if (node < 0)
            AddNode(in key, value);
        else
            Update(node, value);
    }

    /// <summary>Adds <paramref name="delta"/> (any sign) to <paramref name="key"/>'s value (a new key starts at zero).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The result is NaN.</exception>
    public void Add(in TKey key, TValue delta)
    {
        var node = KeyIndex.Find(_index, _indexBits, _keys, in key);
        var value = node < 0 ? delta : _values[node] + delta;
        if (TValue.IsNaN(value))
            ThrowNaN();
        if (node < 0)
            AddNode(in key, value);
        else
            Update(node, value);
    }

    /// <summary>The current value of <paramref name="key"/>, if held.</summary>
    public bool TryGetValue(in TKey key, out TValue value)
    {
        var node = KeyIndex.Find(_index, _indexBits, _keys, in key);
        value = node < 0 ? default : _values[node];
        return node >= 0;
    }

    /// <summary>Drops <paramref name="key"/>; the next key moves up if it was in the top K. False if absent.</summary>
    public bool Remove(in TKey key)
    {
        var node = KeyIndex.Find(_index, _indexBits, _keys, in key);
        if (node < 0)
            return false;
        var place = _place[node];
        if (place >= 0)
        {
            RemoveAt(_top, ref _topCount, place, worstFirst: true);
            if (_restCount > 0)
            {
                var promoted = _rest[0];
                RemoveAt(_rest, ref _restCount, 0, worstFirst: false);
                Push(_top, ref _topCount, promoted, worstFirst: true);
            }
        }
        else
        {
            RemoveAt(_rest, ref _restCount, ~place, worstFirst: false);
        }
        KeyIndex.Remove(_index, _indexBits, _keys, _slotOf, _slotOf[node]);
        var last = --_count;
        if (node != last)
            MoveNode(last, node);
        return true;
    }

    /// <summary>
    /// Writes the top min(<paramref name="destination"/>.Length, K, <see cref="Count"/>) entries,
    /// best first, and returns how many. Allocation-free; O(K log K).
    /// </summary>
    public int CopyTop(Span<LeaderboardEntry<TKey, TValue>> destination)
    {
        var top = _scratch.AsSpan(0, _topCount);
        for (var i = 0; i < _topCount; i++)
            top[i] = new LeaderboardEntry<TKey, TValue>(_keys[_top[i]], _values[_top[i]]);
        HeapSort.Sort(top, default(BestFirst));
        var written = Math.Min(destination.Length, top.Length);
        top[..written].CopyTo(destination);
        return written;
    }

    /// <summary>Forgets every key (a new window); keeps the arrays.</summary>
    public void Clear()
    {
        Array.Clear(_index);
        _count = 0;
        _topCount = 0;
        _restCount = 0;
    }

    private void AddNode(in TKey key, TValue value)
    {
        if (_count == _keys.Length)
            Grow();
        var node = _count++;
        _keys[node] = key;
        _values[node] = value;
        KeyIndex.Insert(_index, _indexBits, _keys, _slotOf, node);
        if (_topCount < _k)
        {
            Push(_top, ref _topCount, node, worstFirst: true);
            return;
        }
        Push(_rest, ref _restCount, node, worstFirst: false);
        Rebalance();
    }

    private void Update(int node, TValue value)
    {
        _values[node] = value;
        var place = _place[node];
        if (place >= 0)
            Fix(_top, _topCount, place, worstFirst: true);
        else
            Fix(_rest, _restCount, ~place, worstFirst: false);
        Rebalance();
    }

    /// <summary>Restores "top's root ranks above rest's root" after one key moved: at most one swap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Rebalance()
    {
        if (_restCount == 0 || !Better(_rest[0], _top[0]))
            return;
        var fallen = _top[0];
        var risen = _rest[0];
        _top[0] = risen;
        _place[risen] = 0;
        _rest[0] = fallen;
        _place[fallen] = ~0;
        SiftDown(_top, _topCount, 0, worstFirst: true);
        SiftDown(_rest, _restCount, 0, worstFirst: false);
    }

    /// <summary>True when node <paramref name="a"/> ranks above node <paramref name="b"/>: larger value, then smaller key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Better(int a, int b)
    {
        var va = _values[a];
        var vb = _values[b];
        if (va != vb)
            return va > vb;
        return _keys[a].CompareTo(_keys[b]) < 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNaN() =>
        SketchThrowHelper.ArgumentOutOfRange("value", "A leaderboard cannot rank NaN.");

    private readonly struct BestFirst : IComparer<LeaderboardEntry<TKey, TValue>>
    {
        public int Compare(LeaderboardEntry<TKey, TValue> x, LeaderboardEntry<TKey, TValue> y)
        {
            if (x.Value != y.Value)
                return x.Value > y.Value ? -1 : 1;
            return x.Key.CompareTo(y.Key);
        }
    }
}
