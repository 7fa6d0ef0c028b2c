namespace Kernel.Sketches;

/// <summary>
/// In-place heapsort with a struct comparer. <c>Span.Sort(comparer)</c> wraps the comparer in a
/// delegate (an allocation per call); reading a top-K list must not allocate.
/// </summary>
internal static class HeapSort
{
    /// <summary>Sorts <paramref name="items"/> so that <c>comparer.Compare(items[i], items[i+1]) ≤ 0</c>.</summary>
    public static void Sort<T, TComparer>(Span<T> items, TComparer comparer) where TComparer : struct, IComparer<T>
    {
        var n = items.Length;
        for (var i = n / 2 - 1; i >= 0; i--)
            SiftDown(items, i, n, comparer);
        for (var end = n - 1; end > 0; end--)
        {
            (items[0], items[end]) = (items[end], items[0]);
            SiftDown(items, 0, end, comparer);
        }
    }

    private static void SiftDown<T, TComparer>(Span<T> items, int root, int size, TComparer comparer) where TComparer : struct, IComparer<T>
    {
        while (true)
        {
            var child = 2 * root + 1;
            if (child >= size)
                return;
            if (child + 1 < size && comparer.Compare(items[child + 1], items[child]) > 0)
                child++;
            if (comparer.Compare(items[child], items[root]) <= 0)
                return;
            (items[root], items[child]) = (items[child], items[root]);
            root = child;
        }
    }
}
