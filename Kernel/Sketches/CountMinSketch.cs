using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

/// <summary>
/// A Count-Min sketch with conservative update: estimates how often each key occurred in a
/// stream of non-negative increments. An estimate is never below the true count and, with
/// probability at least 1 − δ, at most εN above it (N = <see cref="Total"/>), in
/// depth·width counters: width = ⌈e/ε⌉, depth = ⌈ln(1/δ)⌉. Allocation-free after construction.
/// </summary>
/// <remarks>
/// <para>Conservative update (Estan and Varghese) raises each of the key's d counters only as far
/// as the new estimate (min + c), never above: estimates stay upper bounds and are usually much
/// tighter than plain Count-Min's, which bounds them from above. It needs increments ≥ 0.</para>
/// <para>Row i maps a 64-bit key hash with multiply-add-shift, ((a_i·h + b_i) mod 2^64) >> 32, then onto
/// [0, width) by multiply-high; a_i (odd) and b_i come from a fixed seed, so sketches built with the
/// same dimensions and seed merge.</para>
/// </remarks>
public sealed partial class CountMinSketch
{
    private readonly long[] _counters;
    private readonly ulong[] _rowSeeds; // a_0, b_0, a_1, b_1, …
    private readonly int _width;
    private readonly int _depth;
    private readonly ulong _seed;
    private long _total;

    /// <summary>Creates a sketch whose estimates exceed the truth by at most <paramref name="epsilon"/>·N with probability 1 − <paramref name="delta"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">ε or δ is outside (0, 1).</exception>
    public CountMinSketch(double epsilon, double delta, ulong seed = 0)
        : this(WidthFor(epsilon), DepthFor(delta), seed)
    {
    }

    /// <summary>Creates a sketch of <paramref name="depth"/> rows of <paramref name="width"/> counters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, or the table would exceed 2^28 counters.</exception>
    public CountMinSketch(int width, int depth, ulong seed)
    {
        if (width <= 0 || depth <= 0 || (long)width * depth > 1 << 28)
            SketchThrowHelper.ArgumentOutOfRange(nameof(width), $"Count-Min needs 1 ≤ width·depth ≤ 2^28; width was {width}, depth {depth}.");
        _width = width;
        _depth = depth;
        _seed = seed;
        _counters = new long[width * depth];
        _rowSeeds = new ulong[2 * depth];
        var random = new SketchRandom(seed);
        for (var i = 0; i < depth; i++)
        {
            _rowSeeds[2 * i] = random.NextUInt64() | 1;
            _rowSeeds[2 * i + 1] = random.NextUInt64();
        }
    }

    /// <summary>Counters per row: ⌈e/ε⌉.</summary>
    public int Width => _width;

    /// <summary>Rows: ⌈ln(1/δ)⌉.</summary>
    public int Depth => _depth;

    /// <summary>The sum of all increments (N in the error bound).</summary>
    public long Total => _total;

    /// <summary>The width for an additive error of ε·N: ⌈e/ε⌉.</summary>
    public static int WidthFor(double epsilon)
    {
        if (!(epsilon > 0 && epsilon < 1))
            SketchThrowHelper.ArgumentOutOfRange(nameof(epsilon), $"ε must be in (0, 1); it was {epsilon}.");
        return (int)Math.Ceiling(Math.E / epsilon);
    }

    /// <summary>The depth for a failure probability δ: ⌈ln(1/δ)⌉.</summary>
    public static int DepthFor(double delta)
    {
        if (!(delta > 0 && delta < 1))
            SketchThrowHelper.ArgumentOutOfRange(nameof(delta), $"δ must be in (0, 1); it was {delta}.");
        return Math.Max(1, (int)Math.Ceiling(Math.Log(1 / delta)));
    }

    /// <summary>Adds <paramref name="count"/> (≥ 0) occurrences of <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long key, long count = 1) => AddHash(HyperLogLog.Hash(key), count);

    /// <summary>The estimated count of <paramref name="key"/>: never below the truth.</summary>
    public long Estimate(long key) => EstimateHash(HyperLogLog.Hash(key));

    /// <summary>Adds <paramref name="count"/> (≥ 0) occurrences of the key whose 64-bit hash is <paramref name="hash"/>, conservatively.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public void AddHash(ulong hash, long count = 1)
    {
        if (count < 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(count), $"Count-Min with conservative update takes increments ≥ 0; it was {count}.");
        _total += count;
        var target = EstimateHash(hash) + count;
        var counters = _counters;
        for (var row = 0; row < _depth; row++)
        {
            ref var counter = ref counters[Index(hash, row)];
            if (counter < target)
                counter = target;
        }
    }

    /// <summary>The estimated count of the key whose hash is <paramref name="hash"/>: the smallest of its counters.</summary>
    public long EstimateHash(ulong hash)
    {
        var counters = _counters;
        var min = long.MaxValue;
        for (var row = 0; row < _depth; row++)
            min = Math.Min(min, counters[Index(hash, row)]);
        return min;
    }

    /// <summary>
    /// Adds <paramref name="other"/>'s counters to this sketch's. Estimates stay upper bounds of
    /// the union's counts (each side's overestimate adds), within ε·(N₁+N₂) with probability 1 − δ.
    /// </summary>
    /// <exception cref="ArgumentException">The dimensions or seeds differ.</exception>
    public void Merge(CountMinSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._width != _width || other._depth != _depth || other._seed != _seed)
            SketchThrowHelper.Argument(nameof(other), $"Cannot merge a {other._depth}x{other._width} Count-Min (seed {other._seed}) into a {_depth}x{_width} one (seed {_seed}).");
        for (var i = 0; i < _counters.Length; i++)
            _counters[i] += other._counters[i];
        _total += other._total;
    }

    /// <summary>Zeroes every counter.</summary>
    public void Clear()
    {
        Array.Clear(_counters);
        _total = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Index(ulong hash, int row)
    {
        var mixed = (uint)((_rowSeeds[2 * row] * hash + _rowSeeds[2 * row + 1]) >> 32);
        return row * _width + (int)(((ulong)mixed * (uint)_width) >> 32);
    }
}
