using System.Buffers.Binary;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm;
using Kernel.Storage.Lsm.Tables;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>One bit flipped in each kind of block: detected, reported with file and position, never returned as data.</summary>
public sealed class LsmCorruptionTests
{
    private static byte[] Key(int i) => BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(i));

    private static LsmOptions Options(string dir) => new() { Directory = dir, BlockBytes = 512, AutoCompaction = false };

    /// <summary>Writes 2000 keys into one table and returns its path and footer.</summary>
    private static (string Table, TableFooter Footer) Build(string dir)
    {
        using (var store = LsmStore.Open(Options(dir)))
        {
            for (var i = 0; i < 2000; i++) store.Put(Key(i), BitConverter.GetBytes((long)i));
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

    /// <summary>A long scan reads blocks ahead (64 KiB at a time): a damaged block met that way is still reported, at its own offset.</summary>
    [Fact]
    public void DataBlockBitFlip_MidTable_ScanThrowsAtThatBlock()
    {
        using var dir = new TempDirectory("corrupt-scan");
        var (table, footer) = Build(dir.Path);
        var flipped = footer.FilterOffset / 2;
        Flip(table, flipped);
        using var store = LsmStore.Open(Options(dir.Path));
        using var it = store.CreateIterator();
        var seen = 0;
        var e = Assert.Throws<LsmCorruptionException>(() =>
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                Assert.Equal(Key(seen), it.Key.ToArray());
                seen++;
            }
        });
        Assert.Equal(table, e.FilePath);
        Assert.InRange(e.Position, flipped - 600, flipped);   // the start of the 512-byte block that holds the flipped byte
        Assert.Contains("data block checksum", e.Message, StringComparison.Ordinal);
        Assert.InRange(seen, 100, 1999);
    }

    [Fact]
    public void DataBlockBitFlip_GetAndScanThrowWithFileAndBlockOffset()
    {
        using var dir = new TempDirectory("corrupt");
        var (table, _) = Build(dir.Path);
        Flip(table, 20);
        using var store = LsmStore.Open(Options(dir.Path));
        var e = Assert.Throws<LsmCorruptionException>(() => store.Get(Key(0)));
        Assert.Equal(table, e.FilePath);
        Assert.Equal(0, e.Position);
        Assert.Contains("data block checksum", e.Message, StringComparison.Ordinal);
        using var it = store.CreateIterator();
        Assert.Throws<LsmCorruptionException>(() => it.SeekToFirst());
    }

    /// <summary>
    /// The index loads on the table's first use, not at open: a damaged (top-level) index is reported by the
    /// first point read and by the first scan (file and the index block's offset), again on every
    /// later read (nothing half-loaded is kept), and never answers "not found".
    /// </summary>
    [Fact]
    public void IndexBlockBitFlip_FirstReadThrowsAtIndexOffset_EveryTime()
    {
        using var dir = new TempDirectory("corrupt");
        var (table, footer) = Build(dir.Path);
        Flip(table, footer.IndexOffset + 3);
        using var store = LsmStore.Open(Options(dir.Path));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var e = Assert.Throws<LsmCorruptionException>(() => store.Get(Key(attempt)));
            Assert.Equal(table, e.FilePath);
            Assert.Equal(footer.IndexOffset, e.Position);
            Assert.Contains("index block", e.Message, StringComparison.Ordinal);
            Assert.Contains(Path.GetFileName(table), e.Message, StringComparison.Ordinal);
        }
        Assert.Throws<LsmCorruptionException>(() => store.Get([0, 0, 0, 0, 1]));   // an absent key in the table's range: no "not found" either
        using var it = store.CreateIterator();
        var scan = Assert.Throws<LsmCorruptionException>(() => it.SeekToFirst());
        Assert.Equal(footer.IndexOffset, scan.Position);
    }

    /// <summary>A damaged filter is reported by the first point read whose probe falls in it (file, the filter partition's offset).</summary>
    [Fact]
    public void BloomFilterBitFlip_FirstReadThrowsAtFilterOffset()
    {
        using var dir = new TempDirectory("corrupt");
        var (table, footer) = Build(dir.Path);
        Flip(table, footer.FilterOffset + 5);
        using var store = LsmStore.Open(Options(dir.Path));
        var e = Assert.Throws<LsmCorruptionException>(() => store.Get(Key(7)));
        Assert.Equal(table, e.FilePath);
        Assert.Equal(footer.FilterOffset, e.Position);   // 2000 keys: one filter partition, at the filter's start
        Assert.Contains("filter partition", e.Message, StringComparison.Ordinal);
        // A scan does not use the filter (nor read it): its rows are right.
        using var it = store.CreateIterator();
        var n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), n++) Assert.Equal(Key(n), it.Key.ToArray());
        Assert.Equal(2000, n);
    }

    /// <summary>
    /// Two tables at the bottom level, one with a damaged index: the healthy table serves its
    /// keys (its index loads, the damaged one is never touched by those reads); a read that
    /// reaches the damaged table reports it; a compaction that has to read it fails with it.
    /// </summary>
    [Fact]
    public void DamagedIndexInOneOfTwoTables_OnlyReadsOfThatTableFail()
    {
        using var dir = new TempDirectory("corrupt");
        var options = new LsmOptions { Directory = dir.Path, BlockBytes = 512, AutoCompaction = false, TargetFileBytes = 16 << 10 };
        using (var store = LsmStore.Open(options))
        {
            for (var i = 0; i < 4000; i++) store.Put(Key(i), BitConverter.GetBytes((long)i));
            store.CompactAll();
        }
        var tables = Directory.GetFiles(dir.Path, "*.sst").Order(StringComparer.Ordinal).ToArray();
        Assert.True(tables.Length >= 2, $"{tables.Length} tables");
        // The table that holds the last key (keys are big-endian, so the largest file range).
        var damaged = tables.Select(t => (Path: t, Footer: FooterOf(t))).MaxBy(t => FirstKeyOf(t.Path));
        Flip(damaged.Path, damaged.Footer.IndexOffset + 3);
        using var reopened = LsmStore.Open(options);
        Assert.Equal(BitConverter.GetBytes(0L), reopened.Get(Key(0)));
        var e = Assert.Throws<LsmCorruptionException>(() => reopened.Get(Key(3999)));
        Assert.Equal(damaged.Path, e.FilePath);
        Assert.Equal(damaged.Footer.IndexOffset, e.Position);
        Assert.Equal(BitConverter.GetBytes(1L), reopened.Get(Key(1)));   // the healthy table still answers after the failure
    }

    private static TableFooter FooterOf(string table)
    {
        var bytes = File.ReadAllBytes(table);
        var at = bytes.Length - TableFooter.Bytes;
        return TableFooter.Read(bytes.AsSpan(at), table, at, bytes.Length);
    }

    /// <summary>The first user key of a table (its first data block starts at offset 0 with a full key: shared 0, then lengths).</summary>
    private static int FirstKeyOf(string table)
    {
        var bytes = File.ReadAllBytes(table);
        // Block entry: varint shared (0), varint unshared, varint value length, then the internal key (user key + 8-byte trailer).
        var pos = 0;
        Assert.Equal(0, bytes[pos++]);
        pos += 2;   // unshared and value length fit in one byte each for 12-byte internal keys and 8-byte values
        return BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos, 4));
    }

    [Fact]
    public void FooterBitFlip_OpenThrowsAtFooter()
    {
        using var dir = new TempDirectory("corrupt");
        var (table, _) = Build(dir.Path);
        var footerAt = new FileInfo(table).Length - TableFooter.Bytes;
        Flip(table, footerAt + 9);
        var e = Assert.Throws<LsmCorruptionException>(() => LsmStore.Open(Options(dir.Path)));
        Assert.Equal(table, e.FilePath);
        Assert.Equal(footerAt, e.Position);
    }

    [Fact]
    public void ManifestBitFlip_OpenThrowsAtTheDamagedRecord()
    {
        using var dir = new TempDirectory("corrupt");
        Build(dir.Path);
        var manifest = Path.Combine(dir.Path, "MANIFEST");
        Flip(manifest, 20 + 8 + 3);   // inside the first record's payload (after the 20-byte header and its 8-byte frame)
        var e = Assert.Throws<LsmCorruptionException>(() => LsmStore.Open(Options(dir.Path)));
        Assert.Equal(manifest, e.FilePath);
        Assert.Equal(20, e.Position);
    }

    [Fact]
    public void TableOfAnotherFormatVersion_IsAClearError()
    {
        using var dir = new TempDirectory("corrupt");
        var (table, _) = Build(dir.Path);
        var bytes = File.ReadAllBytes(table);
        var footer = bytes.AsSpan(bytes.Length - TableFooter.Bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[32..], 7);
        BinaryPrimitives.WriteUInt32LittleEndian(footer[36..], Crc32C.Compute(footer[..36]));
        File.WriteAllBytes(table, bytes);
        var e = Assert.Throws<LsmException>(() => LsmStore.Open(Options(dir.Path)));
        Assert.IsNotType<LsmCorruptionException>(e);
        Assert.Contains("format version 7", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(table), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestOfAnotherFormatVersion_IsAClearError()
    {
        using var dir = new TempDirectory("corrupt");
        Build(dir.Path);
        var manifest = Path.Combine(dir.Path, "MANIFEST");
        var bytes = File.ReadAllBytes(manifest);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), Crc32C.Compute(bytes.AsSpan(0, 16)));
        File.WriteAllBytes(manifest, bytes);
        var e = Assert.Throws<LsmException>(() => LsmStore.Open(Options(dir.Path)));
        Assert.Contains("manifest format version 3", e.Message, StringComparison.Ordinal);
    }
}
