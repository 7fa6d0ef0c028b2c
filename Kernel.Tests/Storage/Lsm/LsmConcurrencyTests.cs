using System.Buffers.Binary;
using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

public sealed class LsmConcurrencyTests
{
    private static byte[] Key(int i)
    {
        var k = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(k, i);
        return k;
    }

    /// <summary>
    /// Readers (unpinned point reads, pinned scans) run while a writer overwrites other keys,
    /// flushes and compacts: tables close under the readers, which must still see every stable key.
    /// </summary>
    [Fact]
    public async Task ReadsDuringFlushAndCompaction_AlwaysSeeStableKeys()
    {
        using var dir = new TempDirectory("concurrent");
        using var store = LsmStore.Open(new LsmOptions
        {
            Directory = dir.Path, MemtableBytes = 16 << 10, BlockBytes = 512, TargetFileBytes = 16 << 10,
            Level1Bytes = 64 << 10, Level0CompactionTrigger = 2, BlockCacheBytes = 32 << 10,
        });
        const int Stable = 2000;
        for (var i = 0; i < Stable; i++) store.Put(Key(2 * i), Key(i));
        store.Flush();
        var done = 0;
        var writer = Task.Run(() =>
        {
            try
            {
                for (var round = 0; round < 20; round++)
                {
                    for (var i = 0; i < 1000; i++) store.Put(Key(2 * i + 1), Key(round));
                    if (round % 5 == 4) store.CompactAll();
                }
            }
            finally { Volatile.Write(ref done, 1); }
        });
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var rng = new Random(r);
            long reads = 0;
            while (Volatile.Read(ref done) == 0 || reads < 1000)
            {
                var i = rng.Next(Stable);
                Assert.True(store.TryGet(Key(2 * i), out var v) && v.SequenceEqual(Key(i)), $"reader {r}: stable key {2 * i} missing after {reads} reads");
                if (++reads % 500 == 0)
                {
                    using var it = store.CreateIterator();
                    var n = 0;
                    for (it.SeekToFirst(); it.Valid; it.Next()) if ((BinaryPrimitives.ReadInt64BigEndian(it.Key) & 1) == 0) n++;
                    Assert.Equal(Stable, n);
                }
            }
        })).ToArray();
        await Task.WhenAll([writer, .. readers]).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(store.Compactions > 0);
    }

    /// <summary>
    /// A cache of a few blocks under readers of both kinds: reads into a buffer refill evicted
    /// block arrays while other such reads may still be in them (they must notice and read
    /// again), span reads and scans must never see an array refilled under them. Every value
    /// is derived from its key, so a torn read shows up as a wrong value.
    /// </summary>
    [Fact]
    public async Task RecycledBlockArrays_NeverShowAnotherBlocksBytes()
    {
        using var dir = new TempDirectory("recycle");
        using var store = LsmStore.Open(new LsmOptions { Directory = dir.Path, MemtableBytes = 64 << 10, BlockBytes = 512, BlockCacheBytes = 8 << 10 });
        const int Keys = 20_000;
        static byte[] ValueOf(int i) => BitConverter.GetBytes(((long)i << 20) ^ 0x5A5A5A);
        for (var i = 0; i < Keys; i++) store.Put(Key(i), ValueOf(i));
        store.CompactAll();
        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        var copyReaders = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            var rng = new Random(r);
            var buffer = new byte[8];
            long reads = 0;
            while (DateTime.UtcNow < stop || reads < 20_000)
            {
                var i = rng.Next(Keys + Keys / 10);   // a tenth are misses
                var n = store.Get(Key(i), buffer);
                if (i < Keys) Assert.True(n == 8 && buffer.AsSpan().SequenceEqual(ValueOf(i)), $"copy reader {r}: key {i} read {n} bytes {Convert.ToHexString(buffer)}");
                else Assert.Equal(-1, n);
                reads++;
            }
        }));
        var viewReader = Task.Run(() =>
        {
            var rng = new Random(99);
            long reads = 0;
            while (DateTime.UtcNow < stop || reads < 20_000)
            {
                var i = rng.Next(Keys);
                Assert.True(store.TryGet(Key(i), out var v) && v.SequenceEqual(ValueOf(i)), $"view reader: key {i}");
                if (++reads % 5000 == 0)
                {
                    using var it = store.CreateRangeIterator(Key(i), Key(i + 500));
                    var expect = i;
                    for (it.SeekToFirst(); it.Valid; it.Next(), expect++)
                        Assert.True(it.Key.SequenceEqual(Key(expect)) && it.Value.SequenceEqual(ValueOf(expect)), $"scan from {i}: at {expect}");
                    Assert.Equal(Math.Min(i + 500, Keys), expect);
                }
            }
        });
        await Task.WhenAll([.. copyReaders, viewReader]).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(store.BlockCacheMisses > 1000);
    }
}
