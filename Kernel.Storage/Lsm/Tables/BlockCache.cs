namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// The bound on cached data blocks, shared by every table of a store. Blocks live in their
/// table's slot array (<see cref="TableReader"/>), so a hit is one array read with no hashing
/// and no lock; this type only accounts bytes and evicts with CLOCK (a block touched since the
/// hand last passed gets a second chance). Inserts and evictions take a lock; they happen only
/// when a block was read from disk anyway.
/// </summary>
internal sealed class BlockCache
{
    private readonly Queue<(TableReader Table, int Block)> _clock = new();   // guarded by _lock
    private readonly Lock _lock = new();
    private readonly long _capacity;
    private long _bytes;                                                      // guarded by _lock
    private long _misses;                                                     // Interlocked
    private long _hits;                                                       // plain increments from readers: approximate under concurrency, free on the hot path

    public BlockCache(long capacityBytes) => _capacity = capacityBytes;

    public long Capacity => _capacity;
    public long Bytes { get { lock (_lock) return _bytes; } }
    public long Misses => Volatile.Read(ref _misses);

    public long Hits => Volatile.Read(ref _hits);

    public void NoteMiss() => Interlocked.Increment(ref _misses);

    public void NoteHit() => _hits++;

    /// <summary>Accounts a block just stored in <paramref name="table"/>'s slot and evicts until within bounds.</summary>
    public void Added(TableReader table, int block, int bytes)
    {
        lock (_lock)
        {
            _clock.Enqueue((table, block));
            _bytes += bytes;
            var budget = 2 * _clock.Count + 1;
            while (_bytes > _capacity && _clock.Count > 0 && budget-- > 0)
            {
                var (t, b) = _clock.Dequeue();
                if (t.IsReferenced(b) && budget > _clock.Count)
                {
                    t.ClearReferenced(b);
                    _clock.Enqueue((t, b));
                    continue;
                }
                _bytes -= t.Evict(b);
            }
        }
    }

    /// <summary>Drops every cached block of a table that is closing.</summary>
    public void Close(TableReader table)
    {
        lock (_lock) _bytes -= table.EvictAll();
    }
}
