using System.Buffers.Binary;
using Kernel.Storage.Lsm;
using Kernel.Storage.Lsm.Versions;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>
/// The manifest as a snapshot plus a log of edits: one record per flush, a torn last record
/// ignored (the store opens at the edit before), damage before the end reported, and the log
/// replaced by a new snapshot when it grows.
/// </summary>
public sealed class LsmManifestTests
{
    private static byte[] Key(int batch, int i) => [(byte)batch, (byte)(i >> 8), (byte)i];

    private static LsmOptions Options(string dir, long rewriteBytes = 64 << 10) =>
        new() { Directory = dir, AutoCompaction = false, ManifestRewriteBytes = rewriteBytes };

    private static string ManifestPath(string dir) => Path.Combine(dir, "MANIFEST");

    /// <summary>Writes 50 keys of <paramref name="batch"/> and flushes them into one table.</summary>
    private static void FlushBatch(LsmStore store, int batch)
    {
        for (var i = 0; i < 50; i++) store.Put(Key(batch, i), [(byte)batch, (byte)i]);
        store.Flush();
    }

    private static void AssertBatches(LsmStore store, int present, int absentFrom, int absentTo)
    {
        for (var b = 0; b < present; b++)
            for (var i = 0; i < 50; i++)
                Assert.True(store.Get(Key(b, i)) is [var x, var y] && x == b && y == i, $"batch {b} key {i} missing or wrong");
        for (var b = absentFrom; b < absentTo; b++)
            for (var i = 0; i < 50; i++)
                Assert.Null(store.Get(Key(b, i)));
    }

    /// <summary>Offsets of the edit records after the snapshot, walked by the documented framing (length u32, CRC u32, payload).</summary>
    private static List<long> EditOffsets(string manifest)
    {
        var bytes = File.ReadAllBytes(manifest);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        long pos = 20;
        for (var i = 0; i < count; i++) pos += 8 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)pos));
        var edits = new List<long>();
        while (pos < bytes.Length)
        {
            edits.Add(pos);
            pos += 8 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)pos));
        }
        return edits;
    }

    [Fact]
    public void EachFlush_AppendsOneEdit_AndReopenAppliesThem()
    {
        using var dir = new TempDirectory("manifest");
        using (var store = LsmStore.Open(Options(dir.Path)))
        {
            FlushBatch(store, 0);   // the first version is written as a snapshot
            var snapshotLength = new FileInfo(ManifestPath(dir.Path)).Length;
            Assert.Empty(EditOffsets(ManifestPath(dir.Path)));
            for (var b = 1; b < 5; b++)
            {
                FlushBatch(store, b);
                Assert.Equal(b, EditOffsets(ManifestPath(dir.Path)).Count);
            }
            Assert.Equal(snapshotLength, EditOffsets(ManifestPath(dir.Path))[0]);   // appended after the snapshot, never rewritten
        }
        Manifest.Read(dir.Path, out var state);
        Assert.Equal(4, state.Edits);
        Assert.Equal(0, state.TornTailBytes);
        using var reopened = LsmStore.Open(Options(dir.Path));
        AssertBatches(reopened, 5, 5, 6);
        Assert.Equal(5, reopened.TablesPerLevel()[0]);
    }

    [Theory]
    [InlineData("half")]      // the last record cut short
    [InlineData("garbled")]   // the last record whole but with wrong bytes
    [InlineData("zeros")]     // the file extended with zeros, the record never written
    public void TornLastEdit_IsIgnored_StoreOpensAtTheEditBefore_AndAppendsAfterIt(string damage)
    {
        using var dir = new TempDirectory("manifest");
        var manifest = ManifestPath(dir.Path);
        long lastEdit, fullLength;
        using (var store = LsmStore.Open(Options(dir.Path)))
        {
            for (var b = 0; b < 4; b++) FlushBatch(store, b);
            lastEdit = EditOffsets(manifest)[^1];
            fullLength = new FileInfo(manifest).Length;
        }
        var bytes = File.ReadAllBytes(manifest);
        switch (damage)
        {
            case "half":
                bytes = bytes.AsSpan(0, (int)(lastEdit + (fullLength - lastEdit) / 2)).ToArray();
                break;
            case "garbled":
                bytes[^3] ^= 0x40;
                break;
            default:
                bytes.AsSpan((int)lastEdit).Clear();
                break;
        }
        File.WriteAllBytes(manifest, bytes);

        Manifest.Read(dir.Path, out var state);
        Assert.Equal(lastEdit, state.ValidBytes);
        Assert.Equal(bytes.Length - lastEdit, state.TornTailBytes);
        using (var store = LsmStore.Open(Options(dir.Path)))
        {
            AssertBatches(store, 3, 3, 4);   // batch 3's table is an orphan now: deleted on open
            FlushBatch(store, 7);
        }
        Manifest.Read(dir.Path, out state);
        Assert.Equal(0, state.TornTailBytes);   // the torn record was cut off before the append
        Assert.Equal(3, state.Edits);
        using var reopened = LsmStore.Open(Options(dir.Path));
        AssertBatches(reopened, 3, 3, 4);
        Assert.Equal([7, 0], reopened.Get(Key(7, 0)));
    }

    [Fact]
    public void DamagedEditBeforeTheLast_IsCorruptionAtItsOffset()
    {
        using var dir = new TempDirectory("manifest");
        var manifest = ManifestPath(dir.Path);
        using (var store = LsmStore.Open(Options(dir.Path)))
        {
            for (var b = 0; b < 4; b++) FlushBatch(store, b);
        }
        var second = EditOffsets(manifest)[1];
        var bytes = File.ReadAllBytes(manifest);
        bytes[second + 8 + 5] ^= 0x01;   // inside the payload of edit 1 of 3
        File.WriteAllBytes(manifest, bytes);
        var e = Assert.Throws<LsmCorruptionException>(() => LsmStore.Open(Options(dir.Path)));
        Assert.Equal(manifest, e.FilePath);
        Assert.Equal(second, e.Position);
    }

    [Fact]
    public void GrowingEditLog_IsReplacedByANewSnapshot()
    {
        using var dir = new TempDirectory("manifest");
        var manifest = ManifestPath(dir.Path);
        var maxEdits = 0;
        using (var store = LsmStore.Open(Options(dir.Path, rewriteBytes: 1)))
        {
            for (var b = 0; b < 30; b++)
            {
                FlushBatch(store, b);
                maxEdits = Math.Max(maxEdits, EditOffsets(manifest).Count);
            }
        }
        // With the floor at 1 byte, edits may grow to twice the snapshot: with 30 tables the
        // snapshot is rewritten many times, and never more edits pile up than the snapshot is long.
        Assert.InRange(maxEdits, 1, 28);
        Manifest.Read(dir.Path, out var state);
        Assert.True(state.ValidBytes - state.SnapshotBytes <= 2 * state.SnapshotBytes + 256, $"edits {state.ValidBytes - state.SnapshotBytes} bytes after a snapshot of {state.SnapshotBytes}");
        using var reopened = LsmStore.Open(Options(dir.Path));
        AssertBatches(reopened, 30, 30, 31);
        Assert.Equal(30, reopened.TablesPerLevel()[0]);
    }

    [Fact]
    public void FirstFormatVersion_WithoutEdits_StillOpens()
    {
        using var dir = new TempDirectory("manifest");
        using (var store = LsmStore.Open(Options(dir.Path)))
        {
            FlushBatch(store, 0);   // a snapshot only: the layout of format version 1
        }
        var manifest = ManifestPath(dir.Path);
        var bytes = File.ReadAllBytes(manifest);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), Kernel.Storage.Common.Crc32C.Compute(bytes.AsSpan(0, 16)));
        File.WriteAllBytes(manifest, bytes);
        using var reopened = LsmStore.Open(Options(dir.Path));
        AssertBatches(reopened, 1, 1, 2);
    }
}
