using System.Globalization;
using Kernel.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// docs/event-time.md: rows of sessions that a merge absorbed are not retracted; the merged session's row carries a
/// revision number above theirs, so a consumer keeping the highest revision per key sees it supersede them (session
/// 24's audit).
/// </summary>
public sealed class SessionMergeRevisionS24Tests
{
    [Fact]
    public void MergedSessionsRow_HasARevisionAboveEveryAbsorbedSessionsRows()
    {
        var sink = new RowCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 10 },
            MaxOutOfOrdernessMs = 100, Emit = EmitMode.EveryUpdate, Clock = new ManualClock(),
        });
        foreach (var t in new long[] { 0, 2, 4 }) op.Apply([Order.Of(1, t)]);               // [0, 14): r0, r1, r2
        foreach (var t in new long[] { 20, 22, 24, 26, 28 }) op.Apply([Order.Of(1, t)]);    // [20, 38): r0 … r4
        var before = sink.Lines();
        Assert.Equal("1@0-14:3/300 r2", before[2]);
        Assert.Equal("1@20-38:5/500 r4", before[^1]);

        op.Apply([Order.Of(1, 12)]);                                                        // [12, 22) bridges both

        var merged = sink.Lines()[^1];
        Assert.StartsWith("1@0-38:9/900 r", merged, StringComparison.Ordinal);
        var revision = int.Parse(merged["1@0-38:9/900 r".Length..], CultureInfo.InvariantCulture);
        Assert.True(revision > 4, $"merged row {merged}: its revision must be above the absorbed sessions' (2 and 4)");
    }
}
