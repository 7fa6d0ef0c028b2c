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
}
