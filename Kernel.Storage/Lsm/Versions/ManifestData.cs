using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Tables;

namespace Kernel.Storage.Lsm.Versions;

/// <summary>One version of the store as the manifest records it.</summary>
internal sealed class ManifestData
{
    public ulong NextFileNumber { get; set; } = 1;

    /// <summary>The largest sequence held by any table: writes up to here are durable.</summary>
    public ulong LastSequence { get; set; }

    /// <summary>The oldest write-ahead log still needed (0 without a WAL).</summary>
    public ulong WalNumber { get; set; }

    public List<(int Level, TableProperties Table)> Tables { get; } = new();

    public List<RangeTombstone> Tombstones { get; } = new();
}
