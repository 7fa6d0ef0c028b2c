using System.Buffers.Binary;
using System.IO.Hashing;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm;
using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Tables;
using Kernel.Storage.Lsm.Versions;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>
/// Table format version 2: the index is cut into partitions of 128 data blocks and the filter
/// into 4 KiB partitions, each with its CRC, read on first need. Offsets here are computed from
/// the layout in docs/formats/lsm.md, not taken from the reader.
/// </summary>
public sealed class LsmPartitionTests
{
    private const int Keys = 10_000;   // 512-byte blocks: about 500 data blocks (4 index partitions), 196 filter lines (4 filter partitions)

    private static byte[] Key(int i) => BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(i));

    private static byte[] Value(int i) => BitConverter.GetBytes((long)i);

    private static LsmOptions Options(string dir) => new() { Directory = dir, BlockBytes = 512, AutoCompaction = false };

    private static (string Table, TableFooter Footer) Build(string dir, int keys = Keys)
    {
        using (var store = LsmStore.Open(Options(dir)))
        {
            for (var i = 0; i < keys; i++) store.Put(Key(i), Value(i));
            store.CompactAll();
        }
        var table = Assert.Single(Directory.GetFiles(dir, "*.sst"));
        var bytes = File.ReadAllBytes(table);
        var at = bytes.Length - TableFooter.Bytes;
        return (table, TableFooter.Read(bytes.AsSpan(at), table, at, bytes.Length));
    }

    private static void Flip(string path, long offset)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x10;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The footer's counts, read from the raw bytes: filter lines at 20, data blocks at 24.</summary>
    private static (int Lines, int Blocks) Counts(string table)
    {
        var bytes = File.ReadAllBytes(table);
        var footer = bytes.AsSpan(bytes.Length - TableFooter.Bytes);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(footer[32..]));
        return (BinaryPrimitives.ReadInt32LittleEndian(footer[20..]), BinaryPrimitives.ReadInt32LittleEndian(footer[24..]));
    }

    /// <summary>The filter partition a key's probe falls in, per the format: line = ((h >> 32) * lines) >> 32, 64 lines per partition.</summary>
    private static int FilterPartitionOf(int key, int lines) => FilterPartitionOf(Key(key), lines);

    private static int FilterPartitionOf(byte[] key, int lines) => (int)(((XxHash3.HashToUInt64(key) >> 32) * (ulong)lines) >> 32) / 64;

    [Fact]
    public void Layout_HasSeveralPartitionsOfEach()
    {
        using var dir = new TempDirectory("part");
        var (table, footer) = Build(dir.Path);
        var (lines, blocks) = Counts(table);
        Assert.InRange(blocks, 3 * 128 + 1, 8 * 128);
        Assert.Equal((Keys * 10 + 511) / 512, lines);   // 10 bits per key, rounded up to 512-bit lines
        // Filter partitions of 4096 bytes + CRC, then the index partitions, then the top level.
        var partitions = (lines + 63) / 64;
        Assert.True(footer.FilterOffset + lines * 64 + 4 * partitions < footer.IndexOffset);
    }

    /// <summary>A reopened table reads, for one get, its top level, one index partition and one filter partition; a full scan reads every index partition.</summary>
    [Fact]
    public void Reopen_FirstGet_ReadsOnePartitionOfEach()
    {
        using var dir = new TempDirectory("part");
        var (table, _) = Build(dir.Path);
        var (lines, blocks) = Counts(table);
        using var store = LsmStore.Open(Options(dir.Path));
        var t = Assert.Single(store.LiveTablesForTests());
        Assert.False(t.IsLoaded);
        Assert.Equal(Value(0), store.Get(Key(0)));
        Assert.Equal((1, 1), t.LoadedPartitions);
        Assert.False(t.IsWhole);
        using (var it = store.CreateIterator())
        {
            var n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++) Assert.Equal(Key(n), it.Key.ToArray());
            Assert.Equal(Keys, n);
        }
        Assert.Equal((blocks + 127) / 128, t.LoadedPartitions.Index);
        for (var i = 0; i < Keys; i++) Assert.Equal(Value(i), store.Get(Key(i)));
        Assert.Equal((lines + 63) / 64, t.LoadedPartitions.Filter);
        // Every partition read: the table now holds its index and filter whole, and answers the same.
        Assert.True(t.IsWhole);
        for (var i = 0; i < Keys; i++) Assert.Equal(Value(i), store.Get(Key(i)));
        for (var i = 0; i < Keys - 1; i++) Assert.False(store.TryGet([.. Key(i), 1], out _));
        using (var it = store.CreateIterator())
        {
            var n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++) Assert.Equal(Key(n), it.Key.ToArray());
            Assert.Equal(Keys, n);
        }
    }

    /// <summary>Tables the store writes itself load every partition at once and are held whole.</summary>
    [Fact]
    public void WrittenTables_AreHeldWhole()
    {
        using var dir = new TempDirectory("part");
        using var store = LsmStore.Open(Options(dir.Path));
        for (var i = 0; i < Keys; i++) store.Put(Key(i), Value(i));
        store.CompactAll();
        Assert.All(store.LiveTablesForTests(), t => Assert.True(t.IsWhole));
        for (var i = 0; i < Keys; i++) Assert.Equal(Value(i), store.Get(Key(i)));
    }

    /// <summary>
    /// A bit flip in the first index partition (it starts right after the filter partitions):
    /// reads of keys in its blocks fail with the file and the partition's offset, every time,
    /// including absent keys there (never "not found"); keys of the other partitions are served.
    /// </summary>
    [Fact]
    public void IndexPartitionBitFlip_ReadsOfThatPartitionFailAtItsOffset_OthersServed()
    {
        using var dir = new TempDirectory("part");
        var (table, footer) = Build(dir.Path);
        var (lines, _) = Counts(table);
        var partition0 = footer.FilterOffset + lines * 64 + 4 * ((lines + 63) / 64);
        Flip(table, partition0 + 3);
        using var store = LsmStore.Open(Options(dir.Path));
        Assert.Equal(Value(Keys - 1), store.Get(Key(Keys - 1)));   // the last partition
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var e = Assert.Throws<LsmCorruptionException>(() => store.Get(Key(attempt)));
            Assert.Equal(table, e.FilePath);
            Assert.Equal(partition0, e.Position);
            Assert.Contains("index partition", e.Message, StringComparison.Ordinal);
        }
        var absent = new byte[] { 0, 0, 0, 5, 1 };   // sorts between keys 5 and 6
        Assert.Throws<LsmCorruptionException>(() => store.TryGet(absent, out _));
        Assert.Equal(Value(Keys - 2), store.Get(Key(Keys - 2)));
        using var it = store.CreateIterator();
        var scan = Assert.Throws<LsmCorruptionException>(() => it.SeekToFirst());
        Assert.Equal(partition0, scan.Position);
    }

    /// <summary>A bit flip in filter partition 1: gets whose probe falls there (hits and misses) fail at that partition's offset; the others are served.</summary>
    [Fact]
    public void FilterPartitionBitFlip_ProbesOfThatPartitionFailAtItsOffset_OthersServed()
    {
        using var dir = new TempDirectory("part");
        var (table, footer) = Build(dir.Path);
        var (lines, _) = Counts(table);
        var partition1 = footer.FilterOffset + 4096 + 4;
        Flip(table, partition1 + 100);
        var inOne = Enumerable.Range(0, Keys).First(i => FilterPartitionOf(i, lines) == 1);
        var inZero = Enumerable.Range(0, Keys).First(i => FilterPartitionOf(i, lines) == 0);
        using var store = LsmStore.Open(Options(dir.Path));
        Assert.Equal(Value(inZero), store.Get(Key(inZero)));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var e = Assert.Throws<LsmCorruptionException>(() => store.Get(Key(inOne)));
            Assert.Equal(table, e.FilePath);
            Assert.Equal(partition1, e.Position);
            Assert.Contains("filter partition", e.Message, StringComparison.Ordinal);
        }
        // An absent key inside the table's range (key i, then one more byte) whose probe falls in partition 1: no "not found" either.
        var missInOne = Enumerable.Range(0, Keys - 1).Select(i => (byte[])[.. Key(i), 1]).First(k => FilterPartitionOf(k, lines) == 1);
        Assert.Throws<LsmCorruptionException>(() => store.TryGet(missInOne, out _));
        Assert.Equal(Value(inZero), store.Get(Key(inZero)));   // still served after the failures
    }

    /// <summary>
    /// What a reopen and its first get allocate is bounded by one partition of each, not by the
    /// table: 200k keys make a 244 KiB filter and an index of about 40 KiB of keys, which a
    /// whole load (format version 1) copied on every reopen.
    /// </summary>
    [Fact]
    public void Reopen_ThenFirstGet_AllocatesLittle()
    {
        using var dir = new TempDirectory("part-alloc");
        var options = new LsmOptions { Directory = dir.Path, AutoCompaction = false };
        const int n = 200_000;
        var key = new byte[16];
        using (var store = LsmStore.Open(options))
        {
            for (var i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteInt64BigEndian(key, i);
                store.Put(key, Value(i));
            }
            store.CompactAll();
        }
        var read = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(key, n / 2);
        var current = LsmStore.Open(options);
        try
        {
            var allocated = Allocations.SteadyState(() =>
            {
                current.Dispose();
                current = LsmStore.Open(options);
                Assert.Equal(8, current.Get(key, read));
            });
            Assert.InRange(allocated, 1, 64 << 10);
        }
        finally
        {
            current.Dispose();
        }
        Assert.Equal(n / 2, BitConverter.ToInt64(read));
    }

    /// <summary>A table of format version 1 (one index block, one filter block), built here from its documented layout, is read, scanned, and compacted into version 2.</summary>
    [Fact]
    public void FirstFormatVersionTable_IsReadAndCompactedIntoTheNewFormat()
    {
        using var dir = new TempDirectory("part-v1");
        const int n = 6000;
        WriteFirstVersionStore(dir.Path, n);
        using (var store = LsmStore.Open(Options(dir.Path)))
        {
            Assert.Equal(1u, Assert.Single(store.LiveTablesForTests()).FormatVersion);
            for (var i = 0; i < n; i++) Assert.Equal(Value(i), store.Get(Key(i)));
            for (var i = n; i < n + 1000; i++) Assert.Null(store.Get(Key(i)));
            using (var it = store.CreateIterator())
            {
                var count = 0;
                for (it.SeekToLast(); it.Valid; it.Prev(), count++) Assert.Equal(Key(n - 1 - count), it.Key.ToArray());
                Assert.Equal(n, count);
            }
            store.Put(Key(n), Value(n));
            store.CompactAll();
            Assert.All(store.LiveTablesForTests(), t => Assert.Equal(2u, t.FormatVersion));
        }
        using var reopened = LsmStore.Open(Options(dir.Path));
        for (var i = 0; i <= n; i++) Assert.Equal(Value(i), reopened.Get(Key(i)));
    }

    /// <summary>A damaged filter block of a version-1 table is still reported at its offset by the first read.</summary>
    [Fact]
    public void FirstFormatVersionTable_FilterBitFlip_ReportedAtFilterOffset()
    {
        using var dir = new TempDirectory("part-v1");
        var (table, filterOffset) = WriteFirstVersionStore(dir.Path, 3000);
        Flip(table, filterOffset + 5);
        using var store = LsmStore.Open(Options(dir.Path));
        var e = Assert.Throws<LsmCorruptionException>(() => store.Get(Key(7)));
        Assert.Equal(table, e.FilePath);
        Assert.Equal(filterOffset, e.Position);
        Assert.Contains("filter block", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes table 1 in format version 1 (data blocks of about 512 bytes, a filter block with
    /// k in its last byte, one index block, the version-1 footer) and a manifest naming it at level 1.
    /// </summary>
    private static (string Table, long FilterOffset) WriteFirstVersionStore(string dir, int n)
    {
        const ulong sequence = 1;
        var path = Path.Combine(dir, "000001.sst");
        long offset = 0;
        var data = new BlockBuilder(4);
        var index = new BlockBuilder(1);
        var hashes = new List<ulong>();
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            void Write(ReadOnlySpan<byte> block)
            {
                file.Write(block);
                var crc = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Compute(block));
                file.Write(crc);
                offset += block.Length + 4;
            }
            void FlushData()
            {
                var last = data.LastKey.ToArray();
                var at = offset;
                var block = data.Finish();
                var handle = new byte[12];
                BinaryPrimitives.WriteInt64LittleEndian(handle, at);
                BinaryPrimitives.WriteInt32LittleEndian(handle.AsSpan(8), block.Length);
                Write(block);
                index.Add(last, handle);
                data.Reset();
            }
            var internalKey = new byte[4 + 8];
            for (var i = 0; i < n; i++)
            {
                Key(i).CopyTo(internalKey, 0);
                BinaryPrimitives.WriteUInt64LittleEndian(internalKey.AsSpan(4), (sequence << 8) | 1);   // trailer: sequence << 8 | kind (1 = value)
                data.Add(internalKey, Value(i));
                hashes.Add(XxHash3.HashToUInt64(Key(i)));
                if (data.EstimatedBytes >= 512) FlushData();
            }
            if (!data.IsEmpty) FlushData();
            var filterOffset = offset;
            var filter = BloomFilter.Build(hashes, 10);
            Write(filter);
            var indexOffset = offset;
            var indexBlock = index.Finish().ToArray();
            Write(indexBlock);
            var footer = new byte[TableFooter.Bytes];
            BinaryPrimitives.WriteInt64LittleEndian(footer, indexOffset);
            BinaryPrimitives.WriteInt32LittleEndian(footer.AsSpan(8), indexBlock.Length);
            BinaryPrimitives.WriteInt64LittleEndian(footer.AsSpan(12), filterOffset);
            BinaryPrimitives.WriteInt32LittleEndian(footer.AsSpan(20), filter.Length);
            BinaryPrimitives.WriteInt64LittleEndian(footer.AsSpan(24), n);
            BinaryPrimitives.WriteUInt32LittleEndian(footer.AsSpan(32), 1);
            BinaryPrimitives.WriteUInt32LittleEndian(footer.AsSpan(36), Crc32C.Compute(footer.AsSpan(0, 36)));
            BinaryPrimitives.WriteUInt64LittleEndian(footer.AsSpan(40), 0x0054535F4D534C4BUL);   // "KLSM_ST\0"
            file.Write(footer);
            offset += footer.Length;
            var manifest = new ManifestData { NextFileNumber = 2, LastSequence = sequence };
            manifest.Tables.Add((1, new TableProperties(1, offset, n, Key(0), Key(n - 1), sequence, sequence)));
            file.Flush(flushToDisk: true);
            Manifest.Write(dir, manifest);
            return (path, filterOffset);
        }
    }
}
