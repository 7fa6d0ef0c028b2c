using System.Text;
using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>
/// docs/formats/lsm.md: WAL replay stops at the first record whose length runs past the end or whose checksum fails
/// (session 24's audit). A store killed mid-write opens with the writes before the damage and none after it.
/// </summary>
public sealed class WalTailS24Tests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("cut", 99)]            // the last record lost its last bytes
    [InlineData("flip-last", 99)]      // the last record's bytes were damaged
    [InlineData("flip-middle", -1)]    // a record in the middle: replay keeps a prefix, nothing after the damage
    public void WalWithATornOrDamagedRecord_ReplaysTheRecordsBeforeIt_AndNoneAfter(string damage, int expectedKept)
    {
        using var dir = new TempDirectory();
        var storeDir = dir.Sub("store");
        var copy = dir.Sub("copy");
        using (var store = LsmStore.Open(new LsmOptions { Directory = storeDir, UseWal = true }))
        {
            for (var i = 0; i < 100; i++) store.Put(B($"k{i:D2}"), B($"v{i}"));
            // What a killed process leaves: the files as they are now, the memtable never flushed.
            Directory.CreateDirectory(copy);
            foreach (var f in Directory.GetFiles(storeDir)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        }
        var wal = Directory.GetFiles(copy, "*.wal").Single();
        var bytes = File.ReadAllBytes(wal);
        switch (damage)
        {
            case "cut":
                bytes = bytes[..^3];
                break;
            case "flip-last":
                bytes[^2] ^= 0x01;
                break;
            default:
                bytes[bytes.Length / 2] ^= 0x01;
                break;
        }
        File.WriteAllBytes(wal, bytes);

        using var recovered = LsmStore.Open(new LsmOptions { Directory = copy, UseWal = true });

        var kept = 0;
        while (kept < 100 && recovered.Get(B($"k{kept:D2}")) is { } value)
        {
            Assert.Equal(B($"v{kept}"), value);
            kept++;
        }
        for (var i = kept; i < 100; i++)
            Assert.True(recovered.Get(B($"k{i:D2}")) is null, $"{damage}: k{i:D2} replayed after the damage (kept {kept})");
        if (expectedKept >= 0) Assert.Equal(expectedKept, kept);
        else Assert.InRange(kept, 1, 98);
    }
}
