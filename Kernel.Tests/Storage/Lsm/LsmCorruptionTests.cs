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

    [Fact]
    public void IndexBlockBitFlip_OpenThrowsAtIndexOffset()
    {
        using var dir = new TempDirectory("corrupt");
        var (table, footer) = Build(dir.Path);
        Flip(table, footer.IndexOffset + 3);
        var e = Assert.Throws<LsmCorruptionException>(() => LsmStore.Open(Options(dir.Path)));
        Assert.Equal(table, e.FilePath);
        Assert.Equal(footer.IndexOffset, e.Position);
        Assert.Contains("index block", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BloomFilterBitFlip_OpenThrowsAtFilterOffset()
    {
        using var dir = new TempDirectory("corrupt");
        var (table, footer) = Build(dir.Path);
        Flip(table, footer.FilterOffset + 5);
        var e = Assert.Throws<LsmCorruptionException>(() => LsmStore.Open(Options(dir.Path)));
        Assert.Equal(table, e.FilePath);
        Assert.Equal(footer.FilterOffset, e.Position);
        Assert.Contains("filter block", e.Message, StringComparison.Ordinal);
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
