namespace Kernel.Queries;

/// <summary>Keeps the N rows with the largest field seen (a min-heap of N). Reader side only.</summary>
internal sealed class TopN<TRow, TField>
    where TField : IComparable<TField>
{
    private readonly int _n;
    private readonly Func<TRow, TField> _field;
    private readonly PriorityQueue<TRow, TField> _heap;

    public TopN(int n, Func<TRow, TField> field)
    {
        _n = n;
        _field = field;
        _heap = new PriorityQueue<TRow, TField>(n + 1);
    }

    public void Offer(in TRow row)
    {
        if (_n == 0) return;
        var value = _field(row);
        if (_heap.Count < _n) _heap.Enqueue(row, value);
        else if (_heap.TryPeek(out _, out var smallest) && value.CompareTo(smallest) > 0) _heap.EnqueueDequeue(row, value);
    }

    public TRow[] ToArrayDescending()
    {
        var result = new TRow[_heap.Count];
        for (var i = result.Length - 1; i >= 0; i--) result[i] = _heap.Dequeue();
        return result;
    }
}
