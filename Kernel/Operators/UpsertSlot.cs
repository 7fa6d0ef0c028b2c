using System.Runtime.InteropServices;

namespace Kernel.Operators;

/// <summary>The state of one downstream key of an upsert aggregation: the aggregate and how many upstream rows feed it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UpsertSlot<TState>
    where TState : unmanaged
{
    /// <summary>The aggregate over the current upstream rows of this key.</summary>
    public TState Agg;

    /// <summary>How many current upstream rows (passing the filter) fold into <see cref="Agg"/>; the key is removed at 0.</summary>
    public long Rows;
}
