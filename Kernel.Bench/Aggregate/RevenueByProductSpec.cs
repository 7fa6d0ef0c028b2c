using Kernel.Operators;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// STAND-IN for the generated spec of <c>RevenueByProduct</c> (paid orders, revenue by product with
/// Sum/Count/Min/Max/Avg/First/Last). Written by hand the way the generator emits it; the integrator
/// swaps in the generated struct.
/// </summary>
public struct RevenueByProductSpec : IAggregationSpec<BenchOrder, long, BenchRevenueState, BenchRevenueRow>
{
    /// <inheritdoc/>
    public static string Name => "Bench.RevenueByProduct";

    /// <inheritdoc/>
    public static ulong StateFingerprint => 0xBE4C000000000001UL;

    /// <inheritdoc/>
    public static WindowSpec Window => WindowSpec.Unwindowed;

    /// <inheritdoc/>
    public static bool Filter(in BenchOrder e) => e.IsPaid;

    /// <inheritdoc/>
    public static long KeyOf(in BenchOrder e) => e.ProductId;

    /// <inheritdoc/>
    public static ulong HashKey(in long key) => RevenueFolding.Hash(key);

    /// <inheritdoc/>
    public static long EventTime(in BenchOrder e) => e.TimestampMs;

    /// <inheritdoc/>
    public static void Init(out BenchRevenueState state) => RevenueFolding.Init(out state);

    /// <inheritdoc/>
    public static void Update(ref BenchRevenueState state, in BenchOrder e) => RevenueFolding.Update(ref state, e);

    /// <inheritdoc/>
    public static void Merge(ref BenchRevenueState into, in BenchRevenueState other) => RevenueFolding.Merge(ref into, other);

    /// <inheritdoc/>
    public static void ToRow(in long key, in BenchRevenueState state, long windowStartMs, long windowEndMs, out BenchRevenueRow row) =>
        row = RevenueFolding.ToRow(key, state, windowStartMs);
}
