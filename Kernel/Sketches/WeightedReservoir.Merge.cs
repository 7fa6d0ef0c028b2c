namespace Kernel.Sketches;

public sealed partial class WeightedReservoir<T>
{
    /// <summary>
    /// Replaces this sample with the weighted sample of the union of both streams: the
    /// <see cref="Capacity"/> largest keys among both samples, which is exactly what one reservoir
    /// over both streams would hold. <paramref name="other"/> is not changed. Allocation-free.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="other"/> is this instance.</exception>
    public void Merge(WeightedReservoir<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
            SketchThrowHelper.Argument(nameof(other), "A reservoir cannot be merged with itself: the union would count every item twice.");
        for (var i = 0; i < other._count; i++)
        {
            var key = other._logKeys[i];
            if (_count < _items.Length)
            {
                _items[_count] = other._items[i];
                _logKeys[_count] = key;
                SiftUp(_count++);
            }
            else if (key > _logKeys[0])
            {
                _items[0] = other._items[i];
                _logKeys[0] = key;
                SiftDown(0);
            }
        }
        _seen += other._seen;
        _totalWeight += other._totalWeight;
        // The jump is memoryless given the threshold, so a fresh one is as good as a continued one.
        if (_count == _items.Length)
            _skip = DrawSkip();
    }
}
