namespace Kernel.Sketches;

public sealed partial class SpaceSaving<TKey>
{
    // Room for the union of two summaries' counters (at most 2k), made on the first merge and kept.
    private HeavyHitter<TKey>[]? _mergeScratch;

    /// <summary>
    /// Merges <paramref name="other"/> (a summary of another part of the stream, same capacity) into
    /// this one: afterwards this summary describes the concatenated stream with the same guarantees,
    /// N = N₁ + N₂: <c>Count − Error ≤ true ≤ Count</c> for every monitored key, and an unmonitored
    /// key's true count is at most <see cref="UnmonitoredBound"/>.
    /// </summary>
    /// <remarks>
    /// <para>Each side's unmonitored bound m (its smallest counter when full, else 0) caps what the
    /// side can hold of a key it does not monitor. A key monitored on both sides gets
    /// (c₁ + c₂, e₁ + e₂); a key monitored on one side only gets the other side's m added to both its
    /// count and its error, so the interval [count − error, count] still holds its true total. Of the
    /// union the k largest counts are kept (Cafaro, Pulimeno and Tempesta's merge, 2016). Every
    /// combined count is at least m₁ + m₂, so once the result is full its smallest counter bounds
    /// every dropped or never-seen key, as <see cref="UnmonitoredBound"/> states; when the result is
    /// not full neither side was full and both m are 0.</para>
    /// <para>O(k log k); allocates a scratch of 2k entries on the first merge only.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="other"/> is this summary or has another capacity.</exception>
    public void Merge(SpaceSaving<TKey> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
            SketchThrowHelper.Argument(nameof(other), "A SpaceSaving summary cannot be merged into itself.");
        if (other.Capacity != Capacity)
            SketchThrowHelper.Argument(nameof(other), $"SpaceSaving summaries merge only at equal capacity; this has {Capacity} counters, the other {other.Capacity}.");
        var scratch = _mergeScratch ??= new HeavyHitter<TKey>[2 * Capacity];
        var m1 = UnmonitoredBound;
        var m2 = other.UnmonitoredBound;
        var n = 0;
        for (var i = 0; i < _size; i++)
        {
            var combined = other.TryGetCount(in _keys[i], out var count, out var error)
                ? new HeavyHitter<TKey>(_keys[i], _counts[i] + count, _errors[i] + error, false)
                : new HeavyHitter<TKey>(_keys[i], _counts[i] + m2, _errors[i] + m2, false);
            scratch[n++] = combined;
        }
        for (var j = 0; j < other._size; j++)
        {
            if (Find(in other._keys[j]) >= 0)
                continue;
            scratch[n++] = new HeavyHitter<TKey>(other._keys[j], other._counts[j] + m1, other._errors[j] + m1, false);
        }
        var all = scratch.AsSpan(0, n);
        HeapSort.Sort(all, default(ByCountDescending));
        var kept = Math.Min(n, Capacity);
        var total = _total + other._total;
        Clear();
        // Placed in ascending count order, the array already satisfies the min-heap order.
        for (var position = 0; position < kept; position++)
        {
            var entry = all[kept - 1 - position];
            _keys[position] = entry.Key;
            _counts[position] = entry.Count;
            _errors[position] = entry.Error;
            IndexInsert(position);
        }
        _size = kept;
        _total = total;
    }
}
