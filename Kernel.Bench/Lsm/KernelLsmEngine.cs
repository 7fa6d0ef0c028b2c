using System.Buffers.Binary;
using Kernel.Storage.Lsm;

namespace Kernel.Bench.Lsm;

/// <summary>
/// Our store, through the span API. Gets copy the value into a buffer, as the peers do (RocksDB
/// into a buffer, ZoneTree returns it by value): that read allocates nothing also when the
/// store outgrows the block cache (the 10M-key run); the zero-copy view read allocates the
/// cached block on such a miss.
/// </summary>
public sealed class KernelLsmEngine : ILsmBenchEngine
{
    private readonly string _dir;
    private LsmStore _store;
    private readonly byte[] _value = new byte[8];
    private readonly byte[] _read = new byte[8];

    /// <summary>Opens a store in <paramref name="dir"/>.</summary>
    public KernelLsmEngine(string dir)
    {
        _dir = dir;
        _store = LsmStore.Open(Options());
    }

    private LsmOptions Options() => new() { Directory = _dir };

    /// <inheritdoc />
    public string Name => "kernel";

    /// <summary>The store (for metrics).</summary>
    public LsmStore Store => _store;

    /// <inheritdoc />
    public void Put(byte[] keys, int i)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_value, i);
        _store.Put(LsmBenchData.Key(keys, i), _value);
    }

    /// <inheritdoc />
    public bool Get(byte[] keys, int i) => _store.Get(LsmBenchData.Key(keys, i), _read) >= 0;

    /// <inheritdoc />
    public long ScanPrefix(ulong group)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(prefix, group);
        using var it = _store.CreatePrefixIterator(prefix);
        long n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next()) n += it.Value.Length > 0 ? 1 : 0;
        return n;
    }

    /// <inheritdoc />
    public void FlushAndCompact() => _store.CompactAll();

    /// <inheritdoc />
    public void Reopen(byte[] keys)
    {
        _store.Dispose();
        _store = LsmStore.Open(Options());
        Get(keys, 0);
    }

    /// <inheritdoc />
    public void Dispose() => _store.Dispose();
}
