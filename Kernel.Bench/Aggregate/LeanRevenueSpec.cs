using System.Runtime.CompilerServices;
using Kernel.Operators;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// A hand-written spec for revenue by product that folds exactly what the Dictionary loop folds
/// (<see cref="RevenueFolding"/>: a 72-byte state, Avg as a long sum sharing the Count). It measured
/// the gain of that state over the generator's former 80-byte one (Avg as a double sum plus its own
/// count), which the generator now emits; case <c>operator-lean-spec</c> stays as a control that the
/// generated <see cref="RevenueByProduct.Spec"/> should match.
/// </summary>
public readonly struct LeanRevenueSpec : IAggregationSpec<BenchOrder, long, BenchRevenueState, BenchRevenueRow>
{
    /// <inheritdoc/>
    public static string Name => "Kernel.Bench.Aggregate.LeanRevenue";

    /// <inheritdoc/>
    public static ulong StateFingerprint => 0x4C45414E52455631UL;

    /// <inheritdoc/>
    public static WindowSpec Window => default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Filter(in BenchOrder e) => e.IsPaid;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long KeyOf(in BenchOrder e) => e.ProductId;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong HashKey(in long key) => RevenueFolding.Hash(key);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long EventTime(in BenchOrder e) => e.TimestampMs;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Init(out BenchRevenueState state) => RevenueFolding.Init(out state);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Update(ref BenchRevenueState state, in BenchOrder e) => RevenueFolding.Update(ref state, e);

    /// <inheritdoc/>
    public static void Merge(ref BenchRevenueState into, in BenchRevenueState other) => RevenueFolding.Merge(ref into, other);

    /// <inheritdoc/>
    public static void ToRow(in long key, in BenchRevenueState state, long windowStartMs, long windowEndMs, out BenchRevenueRow row) =>
        row = RevenueFolding.ToRow(key, state, windowStartMs);
}
