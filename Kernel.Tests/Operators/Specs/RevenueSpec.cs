using Kernel.Operators;

namespace Kernel.Tests.Operators.Specs;

/// <summary>
/// Revenue by product, unwindowed, paid orders only: a hand-written stand-in for the struct the
/// generator emits for <c>RevenueByProduct</c>.
/// </summary>
public struct RevenueSpec : IAggregationSpec<Order, long, RevenueState, RevenueRow>
{
    public static string Name => "Tests.RevenueByProduct";
    public static ulong StateFingerprint => 0xA11CE5EED0000001UL;
    public static WindowSpec Window => WindowSpec.Unwindowed;
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
