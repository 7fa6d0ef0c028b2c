using System.Collections.Concurrent;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// A bounded cache of verified data blocks shared by every table of a store. Lookups are
/// lock-free (a concurrent dictionary read plus a flag store); inserts and eviction (CLOCK:
/// a block touched since the hand last passed gets a second chance) take a lock, and happen
/// only on a miss, when a block was read from disk anyway.
/// </summary>
internal sealed class BlockCache
{
    private readonly ConcurrentDictionary<BlockKey, Entry> _map = new();
    private readonly Queue<BlockKey> _clock = new();   // guarded by _lock
    private readonly Lock _lock = new();
    private readonly long _capacity;
    private long _bytes;                               // guarded by _lock
    private long _misses;

    public BlockCache(long capacityBytes) => _capacity = capacityBytes;

    public long Bytes => Volatile.Read(ref _bytes);
    public long Misses => Volatile.Read(ref _misses);

    public bool TryGet(BlockKey key, out byte[] block)
    {
        if (_map.TryGetValue(key, out var e))
        {
            if (e.Referenced == 0) e.Referenced = 1;   // racy on purpose: a lost set only costs a second chance
            block = e.Block;
            return true;
        }
        Interlocked.Increment(ref _misses);
        block = null!;
        return false;
    }

    public void Insert(BlockKey key, byte[] block)
    {
        if (_capacity <= 0 || block.Length > _capacity) return;
        lock (_lock)
        {
            if (!_map.TryAdd(key, new Entry(block))) return;
            _clock.Enqueue(key);
            _bytes += block.Length;
            var budget = 2 * _clock.Count;
            while (_bytes > _capacity && _clock.Count > 0 && budget-- > 0)
            {
                var k = _clock.Dequeue();
                if (!_map.TryGetValue(k, out var e)) continue;
                if (e.Referenced != 0 && budget > _clock.Count)
                {
                    e.Referenced = 0;
                    _clock.Enqueue(k);
                    continue;
                }
                _map.TryRemove(k, out _);
                _bytes -= e.Block.Length;
            }
        }
    }

    private sealed class Entry(byte[] block)
    {
        public readonly byte[] Block = block;
        public int Referenced;
    }
}

/// <summary>Identifies a block: the table's file number and the block's offset in it.</summary>
internal readonly record struct BlockKey(ulong File, long Offset);
