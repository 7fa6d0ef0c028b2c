using System.Buffers.Binary;
using Kernel.Storage.Lsm;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Storage.Lsm;

public sealed class LsmAllocationTests
{
    [Fact]
    public void GetOnSpanPath_AllocatesNothing_FromMemtableAndTables()
    {
        using var dir = new TempDirectory("alloc");
        using var store = LsmStore.Open(new LsmOptions { Directory = dir.Path, MemtableBytes = 64 << 10 });
        var key = new byte[16];
        var value = new byte[8];
        for (var i = 0; i < 20_000; i++)
        {
            BitConverter.TryWriteBytes(key, i * 2);
            BitConverter.TryWriteBytes(value, (long)i);
            store.Put(key, value);
        }
        store.CompactAll();
        for (var i = 0; i < 500; i++) { BitConverter.TryWriteBytes(key, i * 2 + 1); store.Put(key, value); } // some in the memtable
        var buffer = new byte[8];
        long found = 0;
        void Round()
        {
            for (var i = 0; i < 20_000; i++)
            {
                BitConverter.TryWriteBytes(key, i);
                if (store.TryGet(key, out var v)) found += v.Length;
                if (store.Get(key, buffer) >= 0) found++;
            }
        }
        Round();   // warm-up: loads blocks into the cache, creates the per-thread cursor
        var allocated = Allocations.SteadyState(() =>
        {
            Round();
        });
        Assert.Equal(0, allocated);
        Assert.True(found > 0);
    }

    /// <summary>
    /// A store about 20 times larger than its block cache: most reads miss the cache and read a
    /// block from disk. Reads into a caller buffer still allocate nothing: each block read is
    /// cached in an array that an evicted block left free.
    /// </summary>
    [Fact]
    public void GetIntoBuffer_AllocatesNothing_WhenTheStoreOutgrowsTheBlockCache()
    {
        using var dir = new TempDirectory("alloc-outgrown");
        using var store = LsmStore.Open(new LsmOptions { Directory = dir.Path, MemtableBytes = 256 << 10, BlockCacheBytes = 64 << 10 });
        const int Keys = 40_000;
        var key = new byte[16];
        var value = new byte[8];
        for (var i = 0; i < Keys; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(key, (long)(((ulong)i * 0x9E3779B97F4A7C15UL) >> 1));
            BinaryPrimitives.WriteInt64LittleEndian(value, i);
            store.Put(key, value);
        }
        store.CompactAll();
        Assert.True(store.BytesOnDisk > 16 * (64 << 10), $"the store ({store.BytesOnDisk} bytes) should outgrow the cache many times");
        var order = Enumerable.Range(0, Keys).ToArray();
        new Random(7).Shuffle(order);
        var buffer = new byte[8];
        long wrong = 0;
        void Round()
        {
            foreach (var i in order)
            {
                BinaryPrimitives.WriteInt64BigEndian(key, (long)(((ulong)i * 0x9E3779B97F4A7C15UL) >> 1));
                if (store.Get(key, buffer) != 8 || BinaryPrimitives.ReadInt64LittleEndian(buffer) != i) wrong++;
            }
        }
        Round();   // warm-up: fills the cache, grows the free lists and the per-thread read buffer
        var missesBefore = store.BlockCacheMisses;
        var arraysBefore = store.RecyclableBlockAllocations;
        var allocated = Allocations.SteadyState(Round);
        Assert.Equal(0, allocated);
        Assert.Equal(0, wrong);
        Assert.True(store.BlockCacheMisses - missesBefore > Keys / 2, $"{store.BlockCacheMisses - missesBefore} misses: the reads should mostly miss the cache");
        Assert.True(store.RecyclableBlockAllocations - arraysBefore < 8, $"{store.RecyclableBlockAllocations - arraysBefore} new block arrays: evicted ones should be reused");
    }
}
