using Kernel.Formats;

namespace Kernel.Tests.Formats;

/// <summary><c>ColumnSet.Missing</c> and <c>MissingMember</c>: the same words for a missing member found either way.</summary>
public sealed class ColumnSetMissingTests
{
    private static readonly ColumnSet Columns = new(["OrderId", "PriceCents"], ["order_id", "price_cents"], [false, false]);

    [Fact]
    public void MissingMember_SaysWhatMissingSaysOfTheFirstClearBit()
    {
        var byMask = Columns.Missing(7, seen: 0b01);
        var byIndex = Columns.MissingMember(7, 1);
        Assert.Equal(byMask, byIndex);
        Assert.Equal(new FormatError(7, -1, "price_cents", string.Empty, "has no property for member 'PriceCents' (write 'price_cents')"), byIndex);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void MissingMember_OutOfRange_NamesTheIndexAndTheRange(int member)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Columns.MissingMember(1, member));
        Assert.Equal("member", e.ParamName);
        Assert.Contains("[0, 2)", e.Message, StringComparison.Ordinal);
    }
}
