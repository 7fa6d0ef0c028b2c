using System.Buffers.Binary;
using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>
/// The memtable's append mode (keys arriving in ascending order skip the hash) and its end at
/// the first key that does not sort after the last one; and tables whose index and filter load
/// on first use. Expected contents come from a SortedDictionary model.
/// </summary>
public sealed class LsmAppendPathTests
{
    private static byte[] Key(long i)
    {
        var k = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(k, i);
        return k;
    }

    private static byte[] Value(long i, int version) => [.. BitConverter.GetBytes(i), (byte)version];

    private static LsmOptions Options(string dir) => new() { Directory = dir, BlockBytes = 512, AutoCompaction = false };

    private static void AssertMatches(LsmStore store, SortedDictionary<byte[], byte[]> model, LsmSnapshot? snapshot, string when)
    {
        using (var it = store.CreateIterator(snapshot))
        {
            var expected = model.ToList();
            var n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++)
            {
                Assert.True(n < expected.Count, $"{when}: more keys than the model's {expected.Count}");
                Assert.Equal(expected[n].Key, it.Key.ToArray());
                Assert.Equal(expected[n].Value, it.Value.ToArray());
            }
            Assert.Equal(expected.Count, n);
            n = expected.Count - 1;
            for (it.SeekToLast(); it.Valid; it.Prev(), n--) Assert.Equal(expected[n].Key, it.Key.ToArray());
            Assert.Equal(-1, n);
        }
        foreach (var (k, v) in model) Assert.True(v.AsSpan().SequenceEqual(store.Get(k, snapshot)), $"{when}: key {BinaryPrimitives.ReadInt64BigEndian(k)}");
    }

    /// <summary>
    /// Ascending keys (append mode, read by binary search), then out-of-order writes of each
    /// kind: a key before the run, an overwrite and a delete of keys inside it, a new key in a gap.
    /// Point reads, scans both ways, a snapshot taken in append mode, a flush and a reopen all
    /// agree with the model.
    /// </summary>
    [Theory]
    [InlineData(0)]   // the first out-of-order write is a key before the run
    [InlineData(1)]   // ... an overwrite of a key inside it
    [InlineData(2)]   // ... a delete of a key inside it
    [InlineData(3)]   // ... an overwrite of the last key (equal to it: not after it)
    public void AscendingThenOutOfOrder_MatchesTheModel(int firstBreak)
    {
        using var dir = new TempDirectory("append");
        var model = new SortedDictionary<byte[], byte[]>(OrdinalBytes.Instance);
        using (var store = LsmStore.Open(Options(dir.Path)))
        {
            for (long i = 0; i < 3000; i++)
            {
                store.Put(Key(2 * i + 10), Value(i, 0));
                model[Key(2 * i + 10)] = Value(i, 0);
                if (i % 500 == 0)
                {
                    Assert.Equal(Value(i, 0), store.Get(Key(2 * i + 10)));
                    Assert.Null(store.Get(Key(2 * i + 11)));   // a gap
                    Assert.Null(store.Get(Key(2 * i + 12)));   // after the last key
                    Assert.Null(store.Get(Key(0)));            // before the first
                }
            }
            AssertMatches(store, model, null, "append mode");
            var snapshot = store.GetSnapshot();
            var before = new SortedDictionary<byte[], byte[]>(model, OrdinalBytes.Instance);
            var breaks = new Action[]
            {
                () => { store.Put(Key(1), Value(-1, 1)); model[Key(1)] = Value(-1, 1); },
                () => { store.Put(Key(1010), Value(500, 1)); model[Key(1010)] = Value(500, 1); },
                () => { store.Delete(Key(2010)); model.Remove(Key(2010)); },
                () => { store.Put(Key(2 * 2999 + 10), Value(2999, 1)); model[Key(2 * 2999 + 10)] = Value(2999, 1); },
            };
            breaks[firstBreak]();
            for (var b = 0; b < breaks.Length; b++) if (b != firstBreak) breaks[b]();
            store.Put(Key(11), Value(11, 2));                 // a new key in a gap of the run
            model[Key(11)] = Value(11, 2);
            store.Put(Key(1_000_000), Value(1_000_000, 2));   // after everything: hash mode now, not append
            model[Key(1_000_000)] = Value(1_000_000, 2);
            AssertMatches(store, model, null, "after the run ended");
            AssertMatches(store, before, snapshot, "snapshot taken in append mode");
            snapshot.Dispose();
            store.Flush();
            AssertMatches(store, model, null, "after flush");
            for (long i = 0; i < 100; i++)
            {
                store.Put(Key(5_000_000 + i), Value(i, 3));   // the next memtable starts in append mode again
                model[Key(5_000_000 + i)] = Value(i, 3);
            }
        }
        using (var reopened = LsmStore.Open(Options(dir.Path)))
            AssertMatches(reopened, model, null, "after reopen");
    }

    /// <summary>
    /// Readers read keys written in append mode while the writer appends more and then ends
    /// append mode (the in-place change of the distinct list races the readers' binary searches).
    /// </summary>
    [Fact]
    public async Task ReadersDuringTheEndOfAppendMode_AlwaysSeeWrittenKeys()
    {
        for (var round = 0; round < 20; round++)
        {
            using var dir = new TempDirectory("append-race");
            using var store = LsmStore.Open(Options(dir.Path));
            long written = 0;
            var done = 0;
            var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
            {
                var rng = new Random(round * 10 + r);
                while (Volatile.Read(ref done) == 0)
                {
                    var n = Volatile.Read(ref written);
                    if (n == 0) continue;
                    var i = rng.NextInt64(n);
                    var v = store.Get(Key(2 * i));
                    Assert.True(v is not null && BitConverter.ToInt64(v) == i, $"round {round}, reader {r}: key {2 * i} of {n} written: {(v is null ? "missing" : BitConverter.ToInt64(v))}");
                }
            })).ToArray();
            for (long i = 0; i < 20_000; i++)
            {
                store.Put(Key(2 * i), BitConverter.GetBytes(i));
                Volatile.Write(ref written, i + 1);
            }
            for (long i = 0; i < 2000; i++) store.Put(Key(2 * i + 1), BitConverter.GetBytes(-i));   // ends append mode, then hash inserts
            Volatile.Write(ref done, 1);
            await Task.WhenAll(readers);
        }
    }

    /// <summary>Tables written by the store load their index and filter at once; tables opened from the manifest load them on first use.</summary>
    [Fact]
    public void TableIndexAndFilter_LoadOnFirstUse()
    {
        using var dir = new TempDirectory("lazy");
        var options = new LsmOptions { Directory = dir.Path, BlockBytes = 512, AutoCompaction = false, TargetFileBytes = 16 << 10 };
        using (var store = LsmStore.Open(options))
        {
            for (long i = 0; i < 4000; i++) store.Put(Key(i), BitConverter.GetBytes(i));
            store.CompactAll();
            Assert.All(store.LiveTablesForTests(), t => Assert.True(t.IsLoaded));   // tables the store wrote itself load at once
        }
        using var reopened = LsmStore.Open(options);
        var tables = reopened.LiveTablesForTests();
        Assert.True(tables.Count >= 2, $"{tables.Count} tables");
        Assert.All(tables, t => Assert.False(t.IsLoaded));
        Assert.Equal(BitConverter.GetBytes(0L), reopened.Get(Key(0)));
        Assert.Equal(1, tables.Count(t => t.IsLoaded));   // only the table that holds key 0
        using (var it = reopened.CreateIterator())
        {
            long n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++) Assert.Equal(n, BinaryPrimitives.ReadInt64BigEndian(it.Key));
            Assert.Equal(4000, n);
        }
        Assert.All(tables, t => Assert.True(t.IsLoaded));
    }
    /// <summary>
    /// Sequential keys flush into tables that overlap nothing, so background compaction moves
    /// them down without rewriting (the flushed files are the ones the deeper level lists);
    /// overwrites of some keys then force real merges. A reopen after both reads the model back.
    /// </summary>
    [Fact]
    public void TrivialMoves_ThenMergesAndReopen_MatchTheModel()
    {
        using var dir = new TempDirectory("move");
        var options = new LsmOptions
        {
            Directory = dir.Path, MemtableBytes = 16 << 10, BlockBytes = 512, TargetFileBytes = 16 << 10,
            Level1Bytes = 64 << 10, Level0CompactionTrigger = 2, Level0StopWritesTrigger = 8,
        };
        var model = new SortedDictionary<byte[], byte[]>(OrdinalBytes.Instance);
        using (var store = LsmStore.Open(options))
        {
            for (long i = 0; i < 20_000; i++)
            {
                store.Put(Key(i), Value(i, 0));
                model[Key(i)] = Value(i, 0);
            }
            store.Flush();
            WaitUntil(() => store.TablesPerLevel()[0] < options.Level0CompactionTrigger, "level 0 drained");
            Assert.True(store.TrivialMoves > 0, $"{store.TrivialMoves} moves");
            Assert.Equal(0, store.Compactions);   // nothing was rewritten
            Assert.True(store.TablesPerLevel().Skip(1).Sum() > 0);
            AssertMatches(store, model, null, "after moves");
            for (long i = 0; i < 20_000; i += 7)
            {
                store.Put(Key(i), Value(i, 1));   // overlaps the moved tables: these compactions must merge
                model[Key(i)] = Value(i, 1);
            }
            store.Delete(Key(3));
            model.Remove(Key(3));
            store.Flush();
            // Compactions run beside flushes: level 0 may drain by moves into an empty level 1 before the
            // merge of level 1 into the moved tables below it runs, so wait for the merge itself.
            WaitUntil(() => store.TablesPerLevel()[0] < options.Level0CompactionTrigger && store.Compactions > 0, "level 0 drained again and the overwrites merged");
        }
        using (var reopened = LsmStore.Open(options))
        {
            AssertMatches(reopened, model, null, "after reopen");
            reopened.CompactAll();
            AssertMatches(reopened, model, null, "after a full compaction");
        }
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        if (!SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(30))) throw new TimeoutException(what);
    }
}
