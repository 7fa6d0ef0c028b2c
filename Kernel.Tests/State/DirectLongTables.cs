using Kernel.State;

namespace Kernel.Tests.State;

/// <summary>Reading helpers for tests of direct-mode tables of long keys and long states.</summary>
internal static class DirectLongTables
{
    /// <summary>The table's entries as (key, state), ordered.</summary>
    public static (long, long)[] Entries(StateTable<long, long, DirectLongHasher> table)
    {
        var list = new List<(long, long)>();
        foreach (ref var e in table) list.Add((e.Key, e.State));
        return [.. list.Order()];
    }

    /// <summary>The table's direct view (asserting it is in direct mode).</summary>
    public static StateTable<long, long, DirectLongHasher>.DirectView View(StateTable<long, long, DirectLongHasher> table)
    {
        Assert.True(table.TryGetDirectView(out var view));
        return view;
    }
}
