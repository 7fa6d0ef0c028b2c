using System.Text;
using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

public sealed class LsmStoreTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static LsmOptions Small(string dir) => new()
    {
        Directory = dir, MemtableBytes = 8192, BlockBytes = 256, TargetFileBytes = 8192,
        Level1Bytes = 32 << 10, Level0CompactionTrigger = 2, Level0StopWritesTrigger = 8,
    };

    [Fact]
    public void PutGetDelete_InMemtable_NewestWins()
    {
        using var dir = new TempDirectory();
        using var store = LsmStore.Open(Small(dir.Path));
        store.Put(B("a"), B("1"));
        store.Put(B("a"), B("2"));
        store.Put(B("b"), B("3"));
        store.Delete(B("b"));
        Assert.Equal(B("2"), store.Get(B("a")));
        Assert.Null(store.Get(B("b")));
        Assert.Null(store.Get(B("c")));
    }

    [Fact]
    public void Get_AfterFlushAndCompaction_ReadsFromTables()
    {
        using var dir = new TempDirectory();
        using var store = LsmStore.Open(Small(dir.Path));
        for (var i = 0; i < 2000; i++) store.Put(B($"key{i:D5}"), B($"value{i}"));
        store.Flush();
        store.CompactAll();
        Assert.Equal(0, store.TablesPerLevel()[0]);
        for (var i = 0; i < 2000; i += 7) Assert.Equal(B($"value{i}"), store.Get(B($"key{i:D5}")));
        Assert.Null(store.Get(B("key99999")));
    }

    [Fact]
    public void Get_IntoBuffer_ReportsLengthAndCopiesOnlyWhenItFits()
    {
        using var dir = new TempDirectory();
        using var store = LsmStore.Open(Small(dir.Path));
        store.Put(B("k"), B("hello"));
        var small = new byte[2];
        Assert.Equal(5, store.Get(B("k"), small));
        Assert.Equal(new byte[2], small);
        var big = new byte[8];
        Assert.Equal(5, store.Get(B("k"), big));
        Assert.Equal(B("hello"), big[..5]);
        Assert.Equal(-1, store.Get(B("x"), big));
    }

    [Fact]
    public void DeleteRange_HidesKeysInRangeOnly_AcrossFlush()
    {
        using var dir = new TempDirectory();
        using var store = LsmStore.Open(Small(dir.Path));
        for (var i = 0; i < 100; i++) store.Put(B($"k{i:D3}"), B("v"));
        store.Flush();
        store.DeleteRange(B("k010"), B("k020"));
        store.Put(B("k015"), B("again"));
        Assert.Null(store.Get(B("k010")));
        Assert.Null(store.Get(B("k019")));
        Assert.Equal(B("v"), store.Get(B("k020")));
        Assert.Equal(B("v"), store.Get(B("k009")));
        Assert.Equal(B("again"), store.Get(B("k015")));
        store.CompactAll();
        Assert.Null(store.Get(B("k012")));
        Assert.Equal(B("again"), store.Get(B("k015")));
        using var it = store.CreateIterator();
        var n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next()) n++;
        Assert.Equal(91, n);
    }

    [Fact]
    public void Snapshot_SeesOldValuesWhileWritesGoOn()
    {
        using var dir = new TempDirectory();
        using var store = LsmStore.Open(Small(dir.Path));
        store.Put(B("a"), B("old"));
        using var snap = store.GetSnapshot();
        store.Put(B("a"), B("new"));
        store.Delete(B("a"));
        store.CompactAll();
        Assert.Null(store.Get(B("a")));
        Assert.Equal(B("old"), store.Get(B("a"), snap));
    }

    [Fact]
    public void WriteBatch_AppliesAllOperations()
    {
        using var dir = new TempDirectory();
        using var store = LsmStore.Open(Small(dir.Path));
        store.Put(B("x"), B("0"));
        var batch = new WriteBatch();
        batch.Put(B("a"), B("1"));
        batch.Delete(B("x"));
        batch.Put(B("b"), B("2"));
        store.Write(batch);
        Assert.Equal(B("1"), store.Get(B("a")));
        Assert.Equal(B("2"), store.Get(B("b")));
        Assert.Null(store.Get(B("x")));
    }

    [Fact]
    public void PrefixIterator_ForwardAndBackward_ReturnsOnlyThePrefix()
    {
        using var dir = new TempDirectory();
        using var store = LsmStore.Open(Small(dir.Path));
        foreach (var k in new[] { "a", "ab", "abc", "abd", "ac", "b" }) store.Put(B(k), B(k.ToUpperInvariant()));
        store.Flush();
        store.Put(B("abz"), B("Z"));
        using var it = store.CreatePrefixIterator(B("ab"));
        var forward = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) forward.Add(Encoding.UTF8.GetString(it.Key));
        Assert.Equal(new[] { "ab", "abc", "abd", "abz" }, forward);
        var backward = new List<string>();
        for (it.SeekToLast(); it.Valid; it.Prev()) backward.Add(Encoding.UTF8.GetString(it.Key));
        Assert.Equal(new[] { "abz", "abd", "abc", "ab" }, backward);
    }

    [Fact]
    public void Reopen_AfterDispose_KeepsEverything()
    {
        using var dir = new TempDirectory();
        using (var store = LsmStore.Open(Small(dir.Path)))
        {
            for (var i = 0; i < 500; i++) store.Put(B($"k{i}"), B($"v{i}"));
            store.DeleteRange(B("k1"), B("k2"));
        }
        using var reopened = LsmStore.Open(Small(dir.Path));
        Assert.Equal(B("v0"), reopened.Get(B("k0")));
        Assert.Null(reopened.Get(B("k100")));
        Assert.Equal(B("v499"), reopened.Get(B("k499")));
    }

    [Fact]
    public void Checkpoint_HardLinksTables_AndRestoresToThatPoint()
    {
        using var dir = new TempDirectory();
        var storeDir = dir.Sub("store");
        using (var store = LsmStore.Open(Small(storeDir)))
        {
            for (var i = 0; i < 300; i++) store.Put(B($"k{i}"), B("before"));
            store.Checkpoint(dir.Sub("cp"));
            for (var i = 0; i < 300; i++) store.Put(B($"k{i}"), B("after"));
        }
        var tables = Directory.GetFiles(dir.Sub("cp"), "*.sst");
        Assert.NotEmpty(tables);
        LsmStore.RestoreCheckpoint(dir.Sub("cp"), storeDir);
        using var restored = LsmStore.Open(Small(storeDir));
        Assert.Equal(B("before"), restored.Get(B("k7")));
    }

    [Fact]
    public void Wal_KeepsUnflushedWrites_WhenFilesAreTakenWhileOpen()
    {
        using var dir = new TempDirectory();
        var storeDir = dir.Sub("store");
        var copy = dir.Sub("copy");
        var options = new LsmOptions { Directory = storeDir, UseWal = true };
        using (var store = LsmStore.Open(options))
        {
            for (var i = 0; i < 100; i++) store.Put(B($"k{i}"), B($"v{i}"));
            store.DeleteRange(B("k5"), B("k6"));
            // What a killed process leaves: the files as they are now, memtable never flushed.
            Directory.CreateDirectory(copy);
            foreach (var f in Directory.GetFiles(storeDir)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        }
        using var recovered = LsmStore.Open(new LsmOptions { Directory = copy, UseWal = true });
        Assert.Equal(B("v99"), recovered.Get(B("k99")));
        Assert.Null(recovered.Get(B("k5")));
        Assert.Null(recovered.Get(B("k55")));
        Assert.Equal(B("v4"), recovered.Get(B("k4")));
    }

    [Fact]
    public void Metrics_AfterWritesAndCompaction_AreReported()
    {
        using var dir = new TempDirectory();
        using var store = LsmStore.Open(Small(dir.Path));
        for (var i = 0; i < 3000; i++) store.Put(B($"key{i % 1000:D4}"), B($"value{i}"));
        store.CompactAll();
        for (var i = 0; i < 100; i++) store.Get(B($"key{i:D4}"));
        Assert.True(store.WriteAmplification > 0, "write amplification " + store.WriteAmplification);
        Assert.True(store.ReadAmplification >= 1, "read amplification " + store.ReadAmplification);
        Assert.Equal(1.0, store.SpaceAmplification);
        Assert.True(store.BytesOnDisk > 0);
    }
}
