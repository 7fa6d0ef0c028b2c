namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// The bound on cached data blocks, shared by every table of a store. Blocks live in their
/// table's slot array (<see cref="TableReader"/>), so a hit is one array read with no hashing
/// and no lock; this type only accounts bytes and evicts with CLOCK (a block touched since the
/// hand last passed gets a second chance). Inserts and evictions take a lock; they happen only
/// when a block was read from disk anyway. Evicted recyclable blocks (<see cref="CachedBlock"/>)
/// are kept in free lists by size class and refilled by the next read that copies its value out,
/// so such reads allocate nothing once the cache is full (a store larger than its cache).
/// </summary>
internal sealed class BlockCache
{
    private readonly Queue<(TableReader Table, int Block)> _clock = new();   // guarded by _lock
    private readonly Lock _lock = new();
    private readonly long _capacity;
    private long _bytes;                                                      // guarded by _lock
    private long _misses;                                                     // Interlocked
    private long _hits;                                                       // plain increments from readers: approximate under concurrency, free on the hot path

    private const int SizeClass = 512;
    private readonly Dictionary<int, Stack<byte[]>> _free = new();          // guarded by _lock; by array length
    private long _freeBytes;                                                  // guarded by _lock
    private readonly long _freeBound;

    public BlockCache(long capacityBytes)
    {
        _capacity = capacityBytes;
        _freeBound = Math.Max(capacityBytes / 16, 256 << 10);
    }

    /// <summary>Arrays allocated for recyclable blocks (a test sees the free lists work).</summary>
    public long RecyclableAllocations => Volatile.Read(ref _recyclableAllocations);
    private long _recyclableAllocations;

    /// <summary>
    /// An array of at least <paramref name="bytes"/> for a recyclable block: a free one, whose
    /// generation is made odd before it is handed out (readers still in it see the change), or a new one.
    /// </summary>
    public byte[] Rent(int bytes)
    {
        var length = (bytes + SizeClass - 1) / SizeClass * SizeClass;
        lock (_lock)
        {
            if (_free.TryGetValue(length, out var stack) && stack.TryPop(out var block))
            {
                _freeBytes -= block.Length;
                CachedBlock.BeginRefill(block);
                return block;
            }
        }
        Interlocked.Increment(ref _recyclableAllocations);
        return new byte[length];
    }

    /// <summary>Keeps a recyclable array that is in no slot for a later <see cref="Rent"/>.</summary>
    public void Return(byte[] block)
    {
        lock (_lock) ReturnLocked(block);
    }

    /// <summary>As <see cref="Return"/>, the lock held.</summary>
    public void ReturnLocked(byte[] block)
    {
        if (_freeBytes + block.Length > _freeBound) return;   // enough spare arrays: leave this one to the GC
        if (!_free.TryGetValue(block.Length, out var stack)) _free[block.Length] = stack = new Stack<byte[]>();
        stack.Push(block);
        _freeBytes += block.Length;
    }

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
