namespace Kernel.Storage.Lsm;

/// <summary>
/// A consistent read view: reads through it see the store as it was when the snapshot was
/// taken, while writes go on. Compaction keeps the versions a live snapshot needs, so dispose
/// snapshots promptly.
/// </summary>
public sealed class LsmSnapshot : IDisposable
{
    private readonly LsmStore _store;
    private int _disposed;

    internal LsmSnapshot(LsmStore store, ulong sequence)
    {
        _store = store;
        Sequence = sequence;
    }

    /// <summary>The last sequence number the snapshot sees.</summary>
    public ulong Sequence { get; }

    /// <summary>Releases the snapshot.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _store.ReleaseSnapshot(Sequence);
    }
}
