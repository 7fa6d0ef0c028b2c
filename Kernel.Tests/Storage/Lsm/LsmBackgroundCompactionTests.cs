using System.Buffers.Binary;
using Kernel.Storage.Lsm;
using Xunit.Abstractions;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>
/// Compactions run on their own thread, beside the flusher: they race writes, reads, scans,
/// flushes, checkpoints and the close; level 0 is bounded at the flusher; and a compaction that
/// fails, is killed, or is cut short by a close leaves a store that reopens to its last manifest
/// with no stray files. Seeds are printed (and in every message).
/// </summary>
public sealed class LsmBackgroundCompactionTests(ITestOutputHelper output)
{
    private const int StopTrigger = 4;

    private static LsmOptions Options(string dir, int memtableBytes = 8 << 10, bool autoCompaction = true) => new()
    {
        AutoCompaction = autoCompaction, Directory = dir, MemtableBytes = memtableBytes, BlockBytes = 512, TargetFileBytes = 8 << 10, Level1Bytes = 32 << 10,
        LevelSizeMultiplier = 4, Level0CompactionTrigger = 2, Level0StopWritesTrigger = StopTrigger, BlockCacheBytes = 64 << 10,
    };

    private static byte[] Key(long i)
    {
        var k = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(k, i);
        return k;
    }

    private static byte[] Value(long i, int round)
    {
        var v = new byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(v, i * 31 + round);
        BinaryPrimitives.WriteInt32LittleEndian(v.AsSpan(8), round);
        return v;
    }

    private static List<(long Key, byte[] Value)> ScanAll(LsmStore store)
    {
        var all = new List<(long, byte[])>();
        using var it = store.CreateIterator();
        for (it.SeekToFirst(); it.Valid; it.Next()) all.Add((BinaryPrimitives.ReadInt64BigEndian(it.Key), it.Value.ToArray()));
        return all;
    }

    private static void AssertEqual(SortedDictionary<long, byte[]> model, LsmStore store, string where)
    {
        var all = ScanAll(store);
        Assert.True(model.Count == all.Count, $"{where}: {all.Count} keys, the model holds {model.Count}");
        var i = 0;
        foreach (var (k, v) in model)
        {
            Assert.True(all[i].Key == k, $"{where}: key #{i} is {all[i].Key}, expected {k}");
            Assert.True(all[i].Value.AsSpan().SequenceEqual(v), $"{where}: key {k} has a wrong value");
            i++;
        }
    }

    /// <summary>Every table file in the directory is named by the open store's manifest (no output of a broken compaction is left).</summary>
    private static void AssertNoStrayTables(LsmStore store, string dir, string where)
    {
        var files = Directory.GetFiles(dir, "*.sst").Length;
        Assert.True(files == store.TablesPerLevel().Sum(), $"{where}: {files} table files, the manifest names {store.TablesPerLevel().Sum()}");
    }

    /// <summary>Stable keys (even, written once) and churned keys (odd: puts and deletes; a high range: range deletes).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task CompactionsRacePutsGetsScansFlushesCheckpointsAndDispose(int seed)
    {
        output.WriteLine($"seed {seed}");
        using var dir = new TempDirectory("bgcompact");
        var rng = new Random(seed);
        const int Stable = 1500;
        var model = new SortedDictionary<long, byte[]>();
        var checkpoints = new List<(string Dir, SortedDictionary<long, byte[]> Model)>();
        var store = LsmStore.Open(Options(dir.Sub("store")));
        long compactions;
        try
        {
            for (var i = 0; i < Stable; i++)
            {
                store.Put(Key(2 * i), Value(2 * i, 0));
                model[2 * i] = Value(2 * i, 0);
            }
            store.Flush();
            var done = 0;
            var writer = Task.Run(() =>
            {
                try
                {
                    for (var op = 1; op <= 12_000; op++)
                    {
                        var r = rng.Next(100);
                        if (r < 70)
                        {
                            var k = r < 50 ? 2 * rng.Next(Stable) + 1 : 1_000_000 + rng.Next(2000);
                            store.Put(Key(k), Value(k, op));
                            model[k] = Value(k, op);
                        }
                        else if (r < 95)
                        {
                            var k = 2 * rng.Next(Stable) + 1;
                            store.Delete(Key(k));
                            model.Remove(k);
                        }
                        else
                        {
                            var from = 1_000_000 + rng.Next(2000);
                            var to = from + rng.Next(1, 60);
                            store.DeleteRange(Key(from), Key(to));
                            foreach (var k in model.Keys.Where(k => k >= from && k < to).ToList()) model.Remove(k);
                        }
                        if (op % 700 == 0)
                        {
                            var target = dir.Sub("checkpoint-" + op);
                            store.Checkpoint(target);
                            checkpoints.Add((target, new SortedDictionary<long, byte[]>(model)));
                        }
                        else if (op % 300 == 0) store.Flush();
                    }
                }
                finally
                {
                    Volatile.Write(ref done, 1);
                }
            });
            var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
            {
                var readerRng = new Random(seed * 100 + r);
                long reads = 0;
                while (Volatile.Read(ref done) == 0 || reads < 2000)
                {
                    var i = readerRng.Next(Stable);
                    Assert.True(store.TryGet(Key(2 * i), out var v) && v.SequenceEqual(Value(2 * i, 0)), $"seed {seed}, reader {r}: stable key {2 * i} missing or wrong after {reads} reads");
                    Assert.True(store.TablesPerLevel()[0] <= StopTrigger, $"seed {seed}: level 0 holds {store.TablesPerLevel()[0]} tables, over the bound {StopTrigger}");
                    if (++reads % 400 != 0) continue;
                    var stable = 0;
                    var previous = long.MinValue;
                    using var it = store.CreateIterator();
                    for (it.SeekToFirst(); it.Valid; it.Next())
                    {
                        var k = BinaryPrimitives.ReadInt64BigEndian(it.Key);
                        Assert.True(k > previous, $"seed {seed}, reader {r}: scan went from {previous} to {k}");
                        previous = k;
                        if (k < 2 * Stable && k % 2 == 0)
                        {
                            Assert.True(it.Value.SequenceEqual(Value(k, 0)), $"seed {seed}, reader {r}: scan saw a wrong value of stable key {k}");
                            stable++;
                        }
                    }
                    Assert.True(stable == Stable, $"seed {seed}, reader {r}: a scan saw {stable} of {Stable} stable keys");
                }
            })).ToArray();
            await Task.WhenAll([writer, .. readers]).WaitAsync(TimeSpan.FromSeconds(120));
            AssertEqual(model, store, $"seed {seed}, before close");
            compactions = store.Compactions;
        }
        finally
        {
            store.Dispose();   // a compaction may be running: it gives up
        }
        Assert.True(compactions > 0, $"seed {seed}: no compaction ran");
        using (var reopened = LsmStore.Open(Inert(dir.Sub("store"))))
        {
            AssertEqual(model, reopened, $"seed {seed}, reopened");
            AssertNoStrayTables(reopened, dir.Sub("store"), $"seed {seed}, reopened");
        }
        Assert.True(checkpoints.Count > 10, $"seed {seed}: {checkpoints.Count} checkpoints");
        foreach (var (checkpoint, expected) in checkpoints)
        {
            var copy = checkpoint + "-copy";
            LsmStore.RestoreCheckpoint(checkpoint, copy);
            using var opened = LsmStore.Open(Inert(copy));
            AssertEqual(expected, opened, $"seed {seed}, {Path.GetFileName(checkpoint)}");
            Assert.True(opened.TablesPerLevel()[0] <= StopTrigger, $"seed {seed}, {Path.GetFileName(checkpoint)}: level 0 holds {opened.TablesPerLevel()[0]} tables");
        }
    }

    /// <summary>Memtables that hold a whole <see cref="Fill"/> step: each flush there is one level-0 table.</summary>
    private static LsmOptions Large(string dir) => Options(dir, 4 << 20);

    /// <summary>For checking a reopened store: no compaction starts (a reopened level 0 over its trigger would start one), so the files stay as the open left them.</summary>
    private static LsmOptions Inert(string dir) => Options(dir, autoCompaction: false);

    /// <summary>Writes <paramref name="flushes"/> overlapping flushes of 6,000 keys each (each merge of two is 12,000 entries: three progress calls).</summary>
    private static SortedDictionary<long, byte[]> Fill(LsmStore store, int flushes, int seed)
    {
        var model = new SortedDictionary<long, byte[]>();
        var rng = new Random(seed);
        for (var f = 0; f < flushes; f++)
        {
            for (var i = 0; i < 6000; i++)
            {
                var k = (long)rng.Next(20_000);
                store.Put(Key(k), Value(k, f));
                model[k] = Value(k, f);
            }
            store.Flush();
        }
        return model;
    }

    /// <summary>A flush waits while level 0 is full (the compactor is held), and goes on once the compactor catches up.</summary>
    [Fact]
    public async Task Flush_WaitsWhileLevel0IsFull_ThenCompletes()
    {
        using var dir = new TempDirectory("l0bound");
        using var store = LsmStore.Open(Large(dir.Path));
        using var release = new ManualResetEventSlim();
        store.CompactionProgressHook = _ => release.Wait();
        var model = Fill(store, StopTrigger, 5);   // level 0 reaches the bound; the first compaction is held
        Assert.Equal(StopTrigger, store.TablesPerLevel()[0]);
        store.Put(Key(99_999), Value(99_999, 9));
        model[99_999] = Value(99_999, 9);
        var flush = Task.Run(store.Flush);
        Assert.True(SpinWait.SpinUntil(() => store.FlushStalls > 0, TimeSpan.FromSeconds(30)), "the flusher did not wait for level 0");
        Assert.False(flush.IsCompleted);
        Assert.Equal(StopTrigger, store.TablesPerLevel()[0]);
        store.CompactionProgressHook = null;
        release.Set();
        await flush.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(store.TablesPerLevel()[0] <= StopTrigger);
        AssertEqual(model, store, "after the stall");
    }

    /// <summary>An exception inside a compaction stops the store's writes with it; the reopened store holds every flushed key and no partial output.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void CompactionThrowsMidway_StoreFailsWrites_ReopensWithEveryFlushedKey(int call)
    {
        output.WriteLine($"failing progress call {call}");
        using var dir = new TempDirectory("bgfail");
        using var flushed = new ManualResetEventSlim();
        SortedDictionary<long, byte[]> model;
        using (var store = LsmStore.Open(Large(dir.Path)))
        {
            store.CompactionProgressHook = n =>
            {
                if (n / 4096 != call) return;
                flushed.Wait();
                throw new InvalidOperationException("injected failure in a compaction");
            };
            model = Fill(store, 2, call);
            flushed.Set();
            Assert.True(SpinWait.SpinUntil(() => store.BackgroundError is not null, TimeSpan.FromSeconds(30)), "the compaction did not fail");
            Assert.Throws<LsmException>(() =>
            {
                store.Put(Key(1), Value(1, 1));
                store.Flush();
            });
            Assert.Equal(0, store.Compactions);
        }
        using var reopened = LsmStore.Open(Inert(dir.Path));
        AssertEqual(model, reopened, $"call {call}, reopened");
        AssertNoStrayTables(reopened, dir.Path, $"call {call}");
    }

    /// <summary>
    /// A kill inside a compaction: the files as they are at that instant (the manifest copied
    /// first, so every table it names is complete; a partly written output is copied as it is)
    /// open to the state before the compaction, and the partial output is deleted.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void KilledMidCompaction_FilesAtThatInstantReopenToTheLastManifest(int call)
    {
        output.WriteLine($"kill at progress call {call}");
        using var dir = new TempDirectory("bgkill");
        var crash = dir.Sub("crash");
        var live = dir.Sub("live");
        using var flushed = new ManualResetEventSlim();
        using var killed = new ManualResetEventSlim();
        SortedDictionary<long, byte[]> model;
        using (var store = LsmStore.Open(Large(live)))
        {
            var copied = 0;
            store.CompactionProgressHook = n =>
            {
                if (n / 4096 != call || copied++ > 0) return;
                flushed.Wait();
                Directory.CreateDirectory(crash);
                foreach (var f in Directory.GetFiles(live, "MANIFEST*")) File.Copy(f, Path.Combine(crash, Path.GetFileName(f)));
                foreach (var f in Directory.GetFiles(live, "*.sst")) File.Copy(f, Path.Combine(crash, Path.GetFileName(f)));
                killed.Set();
            };
            model = Fill(store, 2, call + 10);
            flushed.Set();
            Assert.True(killed.Wait(TimeSpan.FromSeconds(60)), "no compaction reached the kill point");
        }
        Assert.True(Directory.Exists(crash), "no compaction reached the kill point");
        var partial = Directory.GetFiles(crash, "*.sst").Length;
        using var reopened = LsmStore.Open(Inert(crash));
        Assert.True(partial > reopened.TablesPerLevel().Sum(), $"call {call}: no partial output was copied ({partial} files)");
        AssertEqual(model, reopened, $"call {call}, the killed store reopened");
        AssertNoStrayTables(reopened, crash, $"call {call}");
    }

    /// <summary>Dispose during a compaction: the compaction gives up (nothing installed, its outputs deleted) and the store reopens whole.</summary>
    [Fact]
    public void DisposeMidCompaction_CompactionGivesUp_StoreReopensWhole()
    {
        using var dir = new TempDirectory("bgclose");
        using var started = new ManualResetEventSlim();
        using var flushed = new ManualResetEventSlim();
        var store = LsmStore.Open(Large(dir.Path));
        store.CompactionProgressHook = n =>
        {
            if (n != 4096) return;
            flushed.Wait();
            started.Set();
            // Hold the compaction until the close has begun: it must then give up at its next check.
            Assert.True(SpinWait.SpinUntil(() => store.IsClosing, TimeSpan.FromSeconds(30)));
        };
        var model = Fill(store, 2, 21);
        flushed.Set();
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "no compaction started");
        store.Dispose();
        Assert.Equal(0, store.Compactions);
        using var reopened = LsmStore.Open(Inert(dir.Path));
        Assert.Equal(2, reopened.TablesPerLevel()[0]);
        AssertEqual(model, reopened, "reopened after a close mid-compaction");
        AssertNoStrayTables(reopened, dir.Path, "reopened after a close mid-compaction");
    }

    /// <summary>
    /// No compaction starts at open; a writer that then finds level 0 full must start the compactor
    /// rather than wait for one that never comes.
    /// </summary>
    [Fact]
    public async Task ReopenedWithLevel0Full_WriterStartsTheCompactor_InsteadOfWaitingForever()
    {
        using var dir = new TempDirectory("l0reopen");
        SortedDictionary<long, byte[]> model;
        using (var store = LsmStore.Open(Options(dir.Path, 4 << 20, autoCompaction: false)))
            model = Fill(store, StopTrigger, 31);   // level 0 at the bound, nothing compacted
        using var reopened = LsmStore.Open(Options(dir.Path, 4 << 10));
        Assert.Equal(StopTrigger, reopened.TablesPerLevel()[0]);
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)   // more than one small memtable: the writer must switch
            {
                reopened.Put(Key(100_000 + i), Value(100_000 + i, 1));
                model[100_000 + i] = Value(100_000 + i, 1);
            }
        });
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        reopened.Flush();
        AssertEqual(model, reopened, "after writes on a reopened full level 0");
    }
}
