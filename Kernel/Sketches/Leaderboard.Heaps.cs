using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

public sealed partial class Leaderboard<TKey, TValue>
{
    // Both heaps share these helpers. worstFirst = true is the top heap (root = worst of the top K,
    // places stored as p); false is the rest heap (root = best of the others, places stored as ~p).

    /// <summary>True when node <paramref name="a"/> belongs nearer the root than node <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Above(int a, int b, bool worstFirst) => worstFirst ? Better(b, a) : Better(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Place(int[] heap, int position, int node, bool worstFirst)
    {
        heap[position] = node;
        _place[node] = worstFirst ? position : ~position;
    }

    private void Push(int[] heap, ref int size, int node, bool worstFirst)
    {
        var position = size++;
        Place(heap, position, node, worstFirst);
        SiftUp(heap, position, worstFirst);
    }

    private void RemoveAt(int[] heap, ref int size, int position, bool worstFirst)
    {
        var last = --size;
        if (position == last)
            return;
        Place(heap, position, heap[last], worstFirst);
        Fix(heap, size, position, worstFirst);
    }

    /// <summary>Moves the node at <paramref name="position"/> up or down to where it now belongs.</summary>
    private void Fix(int[] heap, int size, int position, bool worstFirst)
    {
        if (position > 0 && Above(heap[position], heap[(position - 1) >> 1], worstFirst))
            SiftUp(heap, position, worstFirst);
        else
            SiftDown(heap, size, position, worstFirst);
    }

    private void SiftUp(int[] heap, int position, bool worstFirst)
    {
        var node = heap[position];
        while (position > 0)
        {
            var parent = (position - 1) >> 1;
            if (!Above(node, heap[parent], worstFirst))
                break;
            Place(heap, position, heap[parent], worstFirst);
            position = parent;
        }
        Place(heap, position, node, worstFirst);
    }

    private void SiftDown(int[] heap, int size, int position, bool worstFirst)
    {
        var node = heap[position];
        while (true)
        {
            var child = 2 * position + 1;
            if (child >= size)
                break;
            if (child + 1 < size && Above(heap[child + 1], heap[child], worstFirst))
                child++;
            if (!Above(heap[child], node, worstFirst))
                break;
            Place(heap, position, heap[child], worstFirst);
            position = child;
        }
        Place(heap, position, node, worstFirst);
    }

    /// <summary>Moves node <paramref name="from"/> to id <paramref name="to"/> (compaction after a removal).</summary>
    private void MoveNode(int from, int to)
    {
        _keys[to] = _keys[from];
        _values[to] = _values[from];
        var place = _place[from];
        _place[to] = place;
        if (place >= 0)
            _top[place] = to;
        else
            _rest[~place] = to;
        var slot = _slotOf[from];
        _slotOf[to] = slot;
        _index[slot] = to + 1;
    }

    /// <summary>Doubles the node arrays and rebuilds the index: the one allocation, when keys exceed the capacity.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        var capacity = _keys.Length * 2;
        Array.Resize(ref _keys, capacity);
        Array.Resize(ref _values, capacity);
        Array.Resize(ref _place, capacity);
        Array.Resize(ref _slotOf, capacity);
        Array.Resize(ref _rest, capacity);
        _indexBits = KeyIndex.BitsFor(capacity);
        _index = new int[1 << _indexBits];
        for (var node = 0; node < _count; node++)
            KeyIndex.Insert(_index, _indexBits, _keys, _slotOf, node);
    }
}
