namespace Kernel.Modes;

/// <summary>
/// What queries are served from: one version of a view at a time, switched atomically (a new
/// version after a backfill has caught up). A reader takes <see cref="Current"/> once per query and
/// uses that instance throughout, so it never mixes two versions in one answer.
/// </summary>
/// <typeparam name="T">The view type (e.g. a <c>KeyedStateView</c> or <c>WindowedStateView</c>).</typeparam>
public sealed class ServingView<T>
    where T : class
{
    // The current (view, version) pair, replaced as a whole: Volatile.Write on switch, Volatile.Read
    // by readers, so a reader sees a view and its own version number together.
    private Entry _current;

    /// <summary>Serves <paramref name="initial"/> as version 1.</summary>
    public ServingView(T initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = new Entry(initial, 1);
    }

    /// <summary>The view queries go to now.</summary>
    public T Current => Volatile.Read(ref _current).View;

    /// <summary>The version of <see cref="Current"/> (1, then +1 per switch).</summary>
    public long Version => Volatile.Read(ref _current).Version;

    /// <summary>The current view and its version, read together.</summary>
    public (T View, long Version) Read()
    {
        var e = Volatile.Read(ref _current);
        return (e.View, e.Version);
    }

    /// <summary>Serves <paramref name="next"/> from now on; returns the version it gets. Queries already running finish on the old view.</summary>
    public long Switch(T next)
    {
        ArgumentNullException.ThrowIfNull(next);
        while (true)
        {
            var old = Volatile.Read(ref _current);
            var entry = new Entry(next, old.Version + 1);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _current, entry, old), old)) return entry.Version;
        }
    }

    private sealed record Entry(T View, long Version);
}
