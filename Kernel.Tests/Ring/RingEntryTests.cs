using Kernel.Ring;

namespace Kernel.Tests.Ring;

public sealed class RingEntryTests
{
    [Fact]
    public void DefaultEntry_IsAnEvent()
    {
        var entry = default(RingEntry<long>);
        Assert.Equal(EntryKind.Event, entry.Kind);
    }
}
