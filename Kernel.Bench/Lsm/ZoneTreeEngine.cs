using ZoneTree;
using ZoneTree.Hashers;
using ZoneTree.Options;
using ZoneTree.Serializers;

namespace Kernel.Bench.Lsm;

/// <summary>ZoneTree (pure C# LSM) with 16-byte struct keys and long values, WAL off.</summary>
public sealed class ZoneTreeEngine : ILsmBenchEngine
{
    private readonly string _dir;
    private IZoneTree<Key16, long> _tree;

    /// <summary>Opens a tree in <paramref name="dir"/>.</summary>
    public ZoneTreeEngine(string dir)
    {
        _dir = dir;
        _tree = OpenTree();
    }

    private IZoneTree<Key16, long> OpenTree() =>
        new ZoneTreeFactory<Key16, long>()
            .SetDataDirectory(_dir)
            .SetComparer(new Key16Comparer())
            .SetKeyHasher(new DefaultKeyHasher<Key16>())
            .SetKeySerializer(new StructSerializer<Key16>())
            .SetValueSerializer(new Int64Serializer())
            .ConfigureWriteAheadLogOptions(x => x.WriteAheadLogMode = WriteAheadLogMode.None)
            .OpenOrCreate();

    /// <inheritdoc />
    public string Name => "zonetree";

    /// <inheritdoc />
    public void Put(byte[] keys, int i) => _tree.Upsert(LsmBenchData.Key16Of(keys, i), i + 1L);   // ZoneTree reads the default value (0) as "deleted"

    /// <inheritdoc />
    public bool Get(byte[] keys, int i) => _tree.TryGet(LsmBenchData.Key16Of(keys, i), out _);

    /// <inheritdoc />
    public long ScanPrefix(ulong group)
    {
        using var it = _tree.CreateIterator();
        it.Seek(new Key16 { Hi = group, Lo = 0 });
        long n = 0;
        while (it.Next())
        {
            if (it.CurrentKey.Hi != group) break;
            n += it.CurrentValue >= 0 ? 1 : 0;
        }
        return n;
    }

    /// <inheritdoc />
    public void FlushAndCompact()
    {
        _tree.Maintenance.MoveMutableSegmentForward();
        _tree.Maintenance.StartMergeOperation()?.Join();
    }

    /// <inheritdoc />
    public void Reopen(byte[] keys)
    {
        _tree.Maintenance.SaveMetaData();
        _tree.Dispose();
        _tree = OpenTree();
        Get(keys, 0);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _tree.Dispose();
    }
}
