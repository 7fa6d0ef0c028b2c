using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>
/// Point reads in tables where a key's versions span several blocks: read at every snapshot,
/// and keys that are absent but share blocks with present ones.
/// </summary>
public sealed class LsmVersionReadTests
{
    [Fact]
    public void VersionsAcrossBlocks_AreReadAtEverySnapshot()
    {
        using var dir = new TempDirectory("versions");
        using var store = LsmStore.Open(new LsmOptions { Directory = dir.Path, BlockBytes = 256, RestartInterval = 2, AutoCompaction = false });
        var snapshots = new List<(LsmSnapshot Snapshot, int Version)>();
        for (var version = 0; version < 40; version++)
        {
            for (var k = 0; k < 20; k++)
                if (k % 4 != 3) store.Put([(byte)'k', (byte)(k * 2)], [(byte)k, (byte)version]);   // even second bytes only
            snapshots.Add((store.GetSnapshot(), version));
        }
        store.CompactAll();   // snapshots keep every version: 40 versions of a key span many 256-byte blocks
        try
        {
            foreach (var (snapshot, version) in snapshots)
                for (var k = 0; k < 20; k++)
                {
                    var value = store.Get([(byte)'k', (byte)(k * 2)], snapshot);
                    if (k % 4 == 3) Assert.Null(value);
                    else Assert.Equal(new[] { (byte)k, (byte)version }, value);
                    Assert.Null(store.Get([(byte)'k', (byte)(k * 2 + 1)], snapshot));   // between present keys, same blocks
                }
            for (var k = 0; k < 20; k++)
                Assert.Equal(k % 4 == 3 ? null : new[] { (byte)k, (byte)39 }, store.Get([(byte)'k', (byte)(k * 2)]));
        }
        finally
        {
            foreach (var (s, _) in snapshots) s.Dispose();
        }
    }
}
