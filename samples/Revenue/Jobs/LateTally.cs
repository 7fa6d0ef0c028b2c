namespace Revenue.Jobs;

/// <summary>How many orders were late and what they were worth.</summary>
public sealed class LateTally
{
    private long _count;
    private long _revenueCents;

    /// <summary>How many orders were late.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>What the late orders were worth.</summary>
    public long RevenueCents => Volatile.Read(ref _revenueCents);

    /// <summary>Counts one late order (one writer thread).</summary>
    public void Add(long revenueCents)
    {
        Volatile.Write(ref _revenueCents, _revenueCents + revenueCents);
        Volatile.Write(ref _count, _count + 1);
    }
}
