namespace Kernel.Sketches;

public sealed partial class Reservoir<T>
{
    /// <summary>
    /// Replaces this reservoir's sample with a uniform sample of the union of both streams (this
    /// one's <see cref="Seen"/> items and <paramref name="other"/>'s), as if one reservoir had seen
    /// them all. <paramref name="other"/> is not changed. Allocation-free.
    /// </summary>
    /// <remarks>
    /// <para>The algorithm, for N₁ items seen here and N₂ there, merged sample size t = min(k, N₁+N₂):</para>
    /// <list type="number">
    /// <item>How many of the t come from each side is hypergeometric: a uniform t-subset of the
    /// union takes m₁ of them from the first stream with probability C(N₁,m₁)C(N₂,t−m₁)/C(N₁+N₂,t).
    /// It is drawn as t sequential draws without replacement, each taking side 1 with probability
    /// (items of stream 1 not yet drawn)/(items of both not yet drawn) — the counts are the stream
    /// lengths, not the reservoir sizes, which is what weights each side by its stream.</item>
    /// <item>Each reservoir is a uniform sample of its own stream, so a uniform m-subset of it
    /// (selection sampling, Knuth's Algorithm S, in place) is a uniform m-subset of that stream.</item>
    /// <item>The two subsets are independent given (m₁, m₂), so their union is a uniform t-subset
    /// of the union of the streams.</item>
    /// </list>
    /// <para>Requires <paramref name="other"/>.Capacity ≥ <see cref="Capacity"/> unless
    /// <paramref name="other"/> still holds every item it has seen (otherwise it may hold too few).</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="other"/> is this instance or holds too small a sample.</exception>
    public void Merge(Reservoir<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
            SketchThrowHelper.Argument(nameof(other), "A reservoir cannot be merged with itself: the union would count every item twice.");
        if (other.Capacity < Capacity && other._seen > other.Capacity)
            SketchThrowHelper.Argument(nameof(other),
                $"The other reservoir samples {other.Capacity} of {other._seen} items, fewer than this reservoir's capacity {Capacity}: its sample cannot stand for its stream at this size.");

        var seen1 = _seen;
        var seen2 = other._seen;
        var total = seen1 + seen2;
        var take = (int)Math.Min(Capacity, total);

        // 1. The hypergeometric split, drawn by sequential draws without replacement.
        long left1 = seen1, left2 = seen2;
        var take1 = 0;
        for (var i = 0; i < take; i++)
        {
            if (_random.NextBounded((ulong)(left1 + left2)) < (ulong)left1)
            {
                left1--;
                take1++;
            }
            else
            {
                left2--;
            }
        }
        var take2 = take - take1;

        // 2. Uniform subsets: compact this side's chosen items to the front, then append the other's.
        var kept = SelectInPlace(_items, Count, take1);
        SelectInto(other._items.AsSpan(0, other.Count), take2, _items.AsSpan(kept));

        _seen = total;
        _next = 0;
        _w = 0;
        _lValid = false;
    }

    /// <summary>Keeps a uniform <paramref name="want"/>-subset of items[0, held) at the front, in order (Algorithm S).</summary>
    private int SelectInPlace(T[] items, int held, int want)
    {
        var write = 0;
        for (var read = 0; read < held && write < want; read++)
        {
            if (_random.NextBounded((ulong)(held - read)) < (ulong)(want - write))
                items[write++] = items[read];
        }
        return write;
    }

    /// <summary>Copies a uniform <paramref name="want"/>-subset of <paramref name="source"/> into <paramref name="destination"/> (Algorithm S).</summary>
    private void SelectInto(ReadOnlySpan<T> source, int want, Span<T> destination)
    {
        var write = 0;
        for (var read = 0; read < source.Length && write < want; read++)
        {
            if (_random.NextBounded((ulong)(source.Length - read)) < (ulong)(want - write))
                destination[write++] = source[read];
        }
    }
}
