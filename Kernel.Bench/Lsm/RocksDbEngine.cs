using System.Buffers.Binary;
using RocksDbSharp;

namespace Kernel.Bench.Lsm;

/// <summary>RocksDB through its .NET binding (package "RocksDB"), WAL off.</summary>
public sealed class RocksDbEngine : ILsmBenchEngine
{
    private readonly string _dir;
    private readonly WriteOptions _write = new WriteOptions().DisableWal(1);
    private readonly byte[] _key = new byte[16];
    private readonly byte[] _value = new byte[8];
    private readonly byte[] _buffer = new byte[64];
    private RocksDb _db;

    /// <summary>Opens a database in <paramref name="dir"/>.</summary>
    public RocksDbEngine(string dir)
    {
        _dir = dir;
        _db = OpenDb();
    }

    private RocksDb OpenDb() => RocksDb.Open(new DbOptions().SetCreateIfMissing(true), _dir);

    /// <inheritdoc />
    public string Name => "rocksdb";

    /// <inheritdoc />
    public void Put(byte[] keys, int i)
    {
        LsmBenchData.Key(keys, i).CopyTo(_key);
        BinaryPrimitives.WriteInt64LittleEndian(_value, i);
        _db.Put(_key, _value, null, _write);
    }

    /// <inheritdoc />
    public bool Get(byte[] keys, int i)
    {
        LsmBenchData.Key(keys, i).CopyTo(_key);
        return _db.Get(_key, 16, _buffer, 0, _buffer.Length) >= 0;
    }

    /// <inheritdoc />
    public long ScanPrefix(ulong group)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(prefix, group);
        using var it = _db.NewIterator();
        long n = 0;
        for (it.Seek(prefix); it.Valid(); it.Next())
        {
            var k = it.Key();
            if (!k.AsSpan().StartsWith(prefix)) break;
            n += it.Value().Length > 0 ? 1 : 0;
        }
        return n;
    }

    /// <inheritdoc />
    public void FlushAndCompact()
    {
        _db.Flush(new FlushOptions().SetWaitForFlush(true));
        _db.CompactRange((byte[]?)null, null);
    }

    /// <inheritdoc />
    public void Reopen(byte[] keys)
    {
        _db.Dispose();
        _db = OpenDb();
        Get(keys, 0);
    }

    /// <inheritdoc />
    public void Dispose() => _db.Dispose();
}
