using Kernel.Bench.Aggregate;
using Kernel.Operators;

namespace Kernel.Bench.Windows;

/// <summary>
/// STAND-IN for the generated spec of <c>DailyRevenue</c>: <c>[TumblingWindow("1d")]</c>,
/// <c>[Watermark(MaxOutOfOrderness = "10m")]</c>, Final emission, paid orders, revenue by product and
/// day. Written by hand the way the generator emits it; the integrator swaps in the generated struct.
/// </summary>
public struct DailyRevenueBenchSpec : IAggregationSpec<BenchOrder, long, BenchRevenueState, BenchRevenueRow>
{
    /// <summary>One day in milliseconds.</summary>
    public const long Day = 86_400_000;

    /// <summary>The watermark's bound: ten minutes.</summary>
    public const long MaxOutOfOrderness = 600_000;

    /// <inheritdoc/>
    public static string Name => "Bench.DailyRevenue";

    /// <inheritdoc/>
    public static ulong StateFingerprint => 0xBE4C000000000002UL;

    /// <inheritdoc/>
    public static WindowSpec Window => new()
    {
        Kind = WindowKind.Tumbling, SizeMs = Day, SlideMs = Day, MaxOutOfOrdernessMs = MaxOutOfOrderness, Emit = EmitMode.Final,
    };

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
