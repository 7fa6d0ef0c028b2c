using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

/// <summary>
/// A uniform random sample of at most <see cref="Capacity"/> items from a stream of unknown
/// length: after <see cref="Seen"/> items, every k-subset of them is equally likely to be held.
/// Allocation-free after construction; seeded, so the same seed over the same input gives the
/// same sample.
/// </summary>
/// <remarks>
/// <para>Two algorithms fill it, and may be mixed on one instance:</para>
/// <list type="bullet">
/// <item><see cref="Add"/> and <see cref="AddRange"/> use Algorithm L (Li, 1994): the gap to the
/// next accepted item is drawn as one geometric variate, so only O(k(1 + log(N/k))) random draws
/// are made over N items and a batch that falls inside a gap costs one subtraction. The default.</item>
/// <item><see cref="AddR"/> and <see cref="AddRangeR"/> use Algorithm R (Vitter's presentation of
/// Waterman's method): item i (0-based) replaces a random slot with probability k/(i+1), one draw
/// per item.</item>
/// </list>
/// <para>Algorithm L keeps a threshold W (the largest of the held items' implicit uniform keys).
/// Given N items seen, W is distributed Beta(k, N−k+1) independently of which items are held, so
/// after Algorithm R steps, a <see cref="Merge"/> or a restore from an older snapshot the next
/// Algorithm L step redraws W from that distribution and the sample stays exact.</para>
/// <para>Not thread-safe: one writer, as every operator's state is.</para>
/// </remarks>
/// <typeparam name="T">The sampled item; unmanaged so snapshots are raw bytes.</typeparam>
public sealed partial class Reservoir<T> where T : unmanaged
{
    private readonly T[] _items;

    // Items offered so far (N). Slots [0, min(N, k)) are filled.
    private long _seen;

    // Algorithm L: the 0-based stream index of the next item to accept. While filling it equals
    // _seen; after an Algorithm R step or a merge it is 0, which sends the next L step to the
    // slow path, where _lValid == false makes it redraw W first.
    private long _next;

    // Algorithm L: the threshold W in (0, 1); meaningful only while _lValid.
    private double _w;
    private bool _lValid;

    private SketchRandom _random;

    // Algorithm L replacements since construction (three random draws each: slot, W, gap); read by
    // the test that checks L's O(k(1 + log(N/k))) draw count. Touched only on the slow path.
    private long _replacementsL;

    /// <summary>Creates an empty reservoir of <paramref name="capacity"/> slots whose choices follow <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public Reservoir(int capacity, ulong seed)
    {
        if (capacity <= 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(capacity), $"A reservoir needs at least one slot; capacity was {capacity}.");
        _items = new T[capacity];
        _random = new SketchRandom(seed);
    }

    /// <summary>The sample size k: the most items the reservoir holds.</summary>
    public int Capacity => _items.Length;

    /// <summary>How many items have been offered (the stream length N the sample is drawn from).</summary>
    public long Seen => _seen;

    /// <summary>How many items are held: min(<see cref="Seen"/>, <see cref="Capacity"/>).</summary>
    public int Count => _seen < _items.Length ? (int)_seen : _items.Length;

    /// <summary>The held items, in no meaningful order. Valid until the next change.</summary>
    public ReadOnlySpan<T> Items => new(_items, 0, Count);

    /// <summary>Offers one item (Algorithm L: almost always one compare).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in T item)
    {
        var index = _seen++;
        if (index < _next)
            return;
        Accept(in item, index);
    }

    /// <summary>
    /// Offers a batch (Algorithm L): the cost is one step per accepted item, not per item, so a
    /// batch that falls wholly inside a gap costs a subtraction and a compare.
    /// </summary>
    public void AddRange(ReadOnlySpan<T> items)
    {
        var start = _seen;
        var length = items.Length;
        while (true)
        {
            var relative = _next - start;
            if (relative < 0)
                relative = 0; // the L state is being resynchronised from the first item of the batch
            if (relative >= length)
                break;
            Accept(in items[(int)relative], start + relative);
        }
        _seen = start + length;
    }

    /// <summary>Offers one item with Algorithm R: one bounded random draw per item.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddR(in T item)
    {
        var index = _seen++;
        if (index < _items.Length)
        {
            _items[index] = item;
            return;
        }
        ReplaceR(in item, index);
    }

    /// <summary>Offers a batch with Algorithm R: a block copy while filling, then one draw per item.</summary>
    public void AddRangeR(ReadOnlySpan<T> items)
    {
        var index = _seen;
        var capacity = _items.Length;
        var offset = 0;
        if (index < capacity)
        {
            offset = (int)Math.Min(capacity - index, items.Length);
            items[..offset].CopyTo(_items.AsSpan((int)index));
            index += offset;
        }
        if (offset < items.Length)
        {
            var slots = _items;
            for (var i = offset; i < items.Length; i++, index++)
            {
                var j = _random.NextBounded((ulong)index + 1);
                if (j < (ulong)slots.Length)
                    slots[(int)j] = items[i];
            }
            InvalidateL();
        }
        _seen = index;
    }

    /// <summary>Forgets every item (a new window) and keeps drawing from the same random sequence.</summary>
    public void Clear()
    {
        _seen = 0;
        _next = 0;
        _w = 0;
        _lValid = false;
    }

    /// <summary>Forgets every item and restarts the random sequence from <paramref name="seed"/>, as a new reservoir would.</summary>
    public void Clear(ulong seed)
    {
        Clear();
        _random = new SketchRandom(seed);
    }

    /// <summary>Algorithm L replacements made since construction (each costs three random draws).</summary>
    internal long ReplacementsL => _replacementsL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReplaceR(in T item, long index)
    {
        var j = _random.NextBounded((ulong)index + 1);
        if (j < (ulong)_items.Length)
            _items[(int)j] = item;
        InvalidateL();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void InvalidateL()
    {
        _lValid = false;
        _next = 0;
    }

    /// <summary>
    /// Algorithm L's slow path for the item at stream index <paramref name="index"/>: fill, or
    /// resynchronise W, or replace a random slot and draw the next gap.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Accept(in T item, long index)
    {
        var capacity = _items.Length;
        if (index < capacity)
        {
            _items[index] = item;
            if (index == capacity - 1)
            {
                // W = max of k uniforms = U^(1/k).
                _w = Math.Exp(Math.Log(_random.NextOpenDouble()) / capacity);
                _lValid = true;
                _next = index + 1 + SketchMath.GeometricSkip(ref _random, _w);
            }
            else
            {
                _next = index + 1;
            }
            return;
        }
        if (!_lValid)
        {
            Resynchronise(index);
            if (index < _next)
                return;
        }
        Debug.Assert(index == _next, "Algorithm L accepts exactly the item its gap pointed at.");
        _replacementsL++;
        _items[(int)_random.NextBounded((ulong)capacity)] = item;
        _w *= Math.Exp(Math.Log(_random.NextOpenDouble()) / capacity);
        _next = index + 1 + SketchMath.GeometricSkip(ref _random, _w);
    }

    /// <summary>
    /// Redraws W given that <paramref name="seen"/> items have been offered before the current one:
    /// the k-th smallest of N uniforms is Beta(k, N−k+1), independent of which items are held.
    /// </summary>
    private void Resynchronise(long seen)
    {
        var capacity = _items.Length;
        _w = SketchMath.Beta(ref _random, capacity, seen - capacity + 1);
        _lValid = true;
        _next = seen + SketchMath.GeometricSkip(ref _random, _w);
    }
}
