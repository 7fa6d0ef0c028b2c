namespace Kernel.Queries;

/// <summary>
/// An append-only list that one writer grows while any thread reads a prefix of it without a lock: the writer
/// stores an item and then publishes the new count; a reader takes the count, then the array, and sees exactly
/// that many items, never a torn one. The array is replaced (grown by copying) before the count that needs it is
/// published, so a reader that read a count reads an array at least that long (release/acquire pairs with the
/// writer's order). <see cref="FinalRows{TRow}"/> and <see cref="LateEventList{TEvent}"/> keep their items here.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class AppendOnlyPrefix<T>(int initialCapacity)
{
    private T[] _items = new T[initialCapacity];
    private int _count;

    /// <summary>Items published so far: the length of what a reader sees.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Appends <paramref name="item"/> (one writer at a time).</summary>
    public void Add(in T item)
    {
        var items = _items;
        var n = _count;
        if (n == items.Length)
        {
            Array.Resize(ref items, items.Length * 2);
            Volatile.Write(ref _items, items);
        }
        items[n] = item;
        Volatile.Write(ref _count, n + 1);
    }

    /// <summary>The items so far, in order (an immutable prefix: later ones never change it).</summary>
    public ReadOnlyMemory<T> Snapshot()
    {
        var n = Volatile.Read(ref _count);
        var items = Volatile.Read(ref _items);
        return items.AsMemory(0, n);
    }
}
