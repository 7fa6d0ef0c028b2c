using Kernel.Operators;

namespace Kernel.Tests.Operators.Specs;

/// <summary>
/// Revenue per day per product (tumbling 1d, 10m out of order, no lateness, Final): a hand-written
/// stand-in for the generated <c>DailyRevenue</c>. Tests override the window settings through options.
/// </summary>
public struct DailyRevenueSpec : IAggregationSpec<Order, long, RevenueState, RevenueRow>
{
    public static string Name => "Tests.DailyRevenue";
    public static ulong StateFingerprint => 0xA11CE5EED0000002UL;
    public static WindowSpec Window => new()
    {
        Kind = WindowKind.Tumbling, SizeMs = 86_400_000, SlideMs = 86_400_000,
        MaxOutOfOrdernessMs = 600_000, Emit = EmitMode.Final,
    };
    public static bool Filter(in Order e) => e.IsPaid;
    public static long KeyOf(in Order e) => e.ProductId;
    public static ulong HashKey(in long key) => RevenueFold.Hash(key);
    public static long EventTime(in Order e) => e.TimestampMs;
    public static void Init(out RevenueState state) => RevenueFold.Init(out state);
    public static void Update(ref RevenueState state, in Order e) => RevenueFold.Update(ref state, e);
    public static void Merge(ref RevenueState into, in RevenueState other) => RevenueFold.Merge(ref into, other);
    public static void ToRow(in long key, in RevenueState state, long windowStartMs, long windowEndMs, out RevenueRow row) =>
        RevenueFold.ToRow(key, state, windowStartMs, windowEndMs, out row);
}
