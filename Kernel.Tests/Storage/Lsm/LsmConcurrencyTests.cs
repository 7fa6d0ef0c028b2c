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
}
