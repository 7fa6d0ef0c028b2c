using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

/// <summary>
/// A weighted random sample without replacement of at most <see cref="Capacity"/> items
/// ("orders sampled in proportion to revenue"): the first item taken is item i with probability
/// wᵢ/Σw, the next from the rest likewise, and so on (Efraimidis and Spirakis, A-ExpJ).
/// Allocation-free after construction; seeded and reproducible.
/// </summary>
/// <remarks>
/// <para>Each item implicitly gets the key uᵢ^(1/wᵢ) (u uniform) and the sample is the k largest
/// keys. A-ExpJ never draws the keys of items it will not keep: once full, it draws how much
/// weight to skip (an exponential jump with the current smallest key as threshold) and the item
/// that crosses it enters with a key drawn above the threshold. So a random draw happens only per
/// accepted item, O(k log(N/k)) in all; the other items cost a subtraction.</para>
/// <para>Keys are kept as logarithms, log(u)/w, so weights from 1e-300 to 1e300 keep their precision.
/// Items of weight 0 are counted and never sampled; negative, infinite or NaN weights are rejected.</para>
/// <para>Merging keeps the k largest keys of the union, which is exactly the sample one reservoir
/// would have drawn (the keys are independent per item). Not thread-safe.</para>
/// </remarks>
/// <typeparam name="T">The sampled item.</typeparam>
public sealed partial class WeightedReservoir<T> where T : unmanaged
{
    // A min-heap on _logKeys (root = the smallest key, the one the next acceptance evicts);
    // _items moves with its key.
    private readonly T[] _items;
    private readonly double[] _logKeys;
    private int _count;

    // Weight still to skip before the next acceptance (meaningful once full).
    private double _skip;
    private long _seen;
    private double _totalWeight;
    private SketchRandom _random;

    /// <summary>Creates an empty sample of <paramref name="capacity"/> items whose choices follow <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public WeightedReservoir(int capacity, ulong seed)
    {
        if (capacity <= 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(capacity), $"A reservoir needs at least one slot; capacity was {capacity}.");
        _items = new T[capacity];
        _logKeys = new double[capacity];
        _random = new SketchRandom(seed);
    }

    /// <summary>The sample size k.</summary>
    public int Capacity => _items.Length;

    /// <summary>How many items are held.</summary>
    public int Count => _count;

    /// <summary>How many items have been offered, weight 0 included.</summary>
    public long Seen => _seen;

    /// <summary>The sum of the weights offered.</summary>
    public double TotalWeight => _totalWeight;

    /// <summary>The held items, in heap order (not by weight). Valid until the next change.</summary>
    public ReadOnlySpan<T> Items => new(_items, 0, _count);

    /// <summary>The log-keys of <see cref="Items"/>, index for index (log(u)/w, at most 0; larger is "more kept").</summary>
    public ReadOnlySpan<double> LogKeys => new(_logKeys, 0, _count);

    /// <summary>Offers <paramref name="item"/> with weight <paramref name="weight"/> (finite, ≥ 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="weight"/> is negative, infinite or NaN.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in T item, double weight)
    {
        // One compare rejects NaN, negatives and +∞ together.
        if (!(weight >= 0 && weight < double.PositiveInfinity))
            ThrowBadWeight(weight);
        _seen++;
        _totalWeight += weight;
        if (_count == _items.Length)
        {
            _skip -= weight;
            if (_skip > 0)
                return;
        }
        Accept(in item, weight);
    }

    /// <summary>Offers a batch; <paramref name="weights"/>[i] is the weight of <paramref name="items"/>[i].</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A weight is negative, infinite or NaN.</exception>
    public void AddRange(ReadOnlySpan<T> items, ReadOnlySpan<double> weights)
    {
        if (items.Length != weights.Length)
            SketchThrowHelper.Argument(nameof(weights), $"{weights.Length} weights were given for {items.Length} items.");
        for (var i = 0; i < items.Length; i++)
            Add(in items[i], weights[i]);
    }

    /// <summary>Forgets every item (a new window) and keeps drawing from the same random sequence.</summary>
    public void Clear()
    {
        _count = 0;
        _seen = 0;
        _totalWeight = 0;
        _skip = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Accept(in T item, double weight)
    {
        if (weight == 0)
            return; // key 0^(1/0): never larger than a held key
        if (_count < _items.Length)
        {
            // Filling: the plain A-Res key.
            _items[_count] = item;
            _logKeys[_count] = Math.Log(_random.NextOpenDouble()) / weight;
            SiftUp(_count++);
            if (_count == _items.Length)
                _skip = DrawSkip();
            return;
        }
        // This item crossed the jump. Its key is uniform above the threshold T: with t = T^w,
        // r ~ U(t, 1) and key = r^(1/w); in logs: log r = log1p(u * expm1(w log T)).
        var logThreshold = _logKeys[0];
        var logR = SketchMath.Log1P(_random.NextOpenDouble() * SketchMath.Expm1(weight * logThreshold));
        var logKey = Math.Min(logR / weight, 0.0);
        if (!(logKey > logThreshold))
            logKey = Math.BitIncrement(logThreshold); // rounding only: the key is above T by construction
        _items[0] = item;
        _logKeys[0] = logKey;
        SiftDown(0);
        _skip = DrawSkip();
    }

    /// <summary>The weight to skip before the next acceptance: X = log(u) / log(T), an exponential jump.</summary>
    private double DrawSkip()
    {
        var logThreshold = _logKeys[0];
        if (logThreshold >= 0)
            return double.PositiveInfinity; // a key of 1 can never be beaten
        return Math.Log(_random.NextOpenDouble()) / logThreshold;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadWeight(double weight) =>
        SketchThrowHelper.ArgumentOutOfRange(nameof(weight), $"A sampling weight must be finite and at least 0; it was {weight}.");

    private void SiftUp(int index)
    {
        var key = _logKeys[index];
        var item = _items[index];
        while (index > 0)
        {
            var parent = (index - 1) >> 1;
            if (_logKeys[parent] <= key)
                break;
            _logKeys[index] = _logKeys[parent];
            _items[index] = _items[parent];
            index = parent;
        }
        _logKeys[index] = key;
        _items[index] = item;
    }

    private void SiftDown(int index)
    {
        var key = _logKeys[index];
        var item = _items[index];
        var count = _count;
        while (true)
        {
            var child = 2 * index + 1;
            if (child >= count)
                break;
            if (child + 1 < count && _logKeys[child + 1] < _logKeys[child])
                child++;
            if (_logKeys[child] >= key)
                break;
            _logKeys[index] = _logKeys[child];
            _items[index] = _items[child];
            index = child;
        }
        _logKeys[index] = key;
        _items[index] = item;
    }
}
