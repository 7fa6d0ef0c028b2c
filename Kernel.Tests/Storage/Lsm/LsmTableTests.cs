using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

public sealed class LsmTableTests
{
    [Fact]
    public void KeyEncoding_SignedIntegers_ByteOrderIsNumericOrder()
    {
        var values = new long[] { long.MinValue, -1000, -1, 0, 1, 255, 256, long.MaxValue };
        var encoded = values.Select(v => { var b = new byte[8]; LsmKeyEncoding.Write(v, b); return b; }).ToList();
        for (var i = 1; i < encoded.Count; i++)
            Assert.True(encoded[i - 1].AsSpan().SequenceCompareTo(encoded[i]) < 0, $"{values[i - 1]} should sort before {values[i]}");
        foreach (var (v, b) in values.Zip(encoded)) Assert.Equal(v, LsmKeyEncoding.Read<long>(b));
        var ints = new[] { int.MinValue, -5, 0, 7, int.MaxValue };
        var ib = ints.Select(v => { var b = new byte[4]; LsmKeyEncoding.Write(v, b); return b; }).ToList();
        for (var i = 1; i < ib.Count; i++) Assert.True(ib[i - 1].AsSpan().SequenceCompareTo(ib[i]) < 0);
        Assert.Equal(-5, LsmKeyEncoding.Read<int>(ib[1]));
    }

    [Fact]
    public void TypedTable_PutGetRangeDeleteAndScan_FollowNumericOrder()
    {
        using var dir = new TempDirectory("typed");
        using var store = LsmStore.Open(new LsmOptions { Directory = dir.Path });
        var a = new LsmTable<long, double>(store, "a"u8);
        var b = new LsmTable<long, double>(store, "b"u8);
        for (long k = -50; k < 50; k++) { a.Put(k, k * 0.5); b.Put(k, -k); }
        a.DeleteRange(-10, 10);
        store.Flush();
        Assert.True(a.TryGet(-11, out var v) && v == -5.5);
        Assert.False(a.TryGet(0, out _));
        Assert.True(b.TryGet(0, out var w) && w == 0);
        using var it = a.CreateRangeIterator(-12, 12);
        var keys = new List<long>();
        for (it.SeekToFirst(); it.Valid; it.Next()) keys.Add(a.KeyOf(it.Key));
        Assert.Equal(new long[] { -12, -11, 10, 11 }, keys);
    }
}
