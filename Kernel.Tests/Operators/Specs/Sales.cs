using Kernel.Operators;

namespace Kernel.Tests.Operators.Specs;

/// <summary>
/// Revenue and order count of every order (no filter): the 16-byte state of the sales specs that the
/// checkpoint, spill and pipeline tests share.
/// </summary>
public struct SalesState
{
    public long Revenue;
    public long Orders;

    public static void Update(ref SalesState state, in Order e)
    {
        state.Revenue += e.RevenueCents;
        state.Orders++;
    }

    public static void Merge(ref SalesState into, in SalesState other)
    {
        into.Revenue += other.Revenue;
        into.Orders += other.Orders;
    }
}

/// <summary>Revenue and orders of one product in one window.</summary>
public readonly record struct SalesWindowRow(long ProductId, long Start, long End, long Revenue, long Orders);

/// <summary>Revenue and orders per product and window; the tests give the window in <see cref="WindowOptions"/>.</summary>
public struct SalesWindowSpec : IAggregationSpec<Order, long, SalesState, SalesWindowRow>
{
    public static string Name => "Tests.SalesWindows";
    public static ulong StateFingerprint => 0x1AC0_0000_0000_0001UL;
    public static WindowSpec Window => default;
    public static bool Filter(in Order e) => true;
    public static long KeyOf(in Order e) => e.ProductId;
    public static ulong HashKey(in long key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);
    public static long EventTime(in Order e) => e.TimestampMs;
    public static void Init(out SalesState state) => state = default;
    public static void Update(ref SalesState state, in Order e) => SalesState.Update(ref state, e);
    public static void Merge(ref SalesState into, in SalesState other) => SalesState.Merge(ref into, other);

    public static void ToRow(in long key, in SalesState state, long windowStartMs, long windowEndMs, out SalesWindowRow row) =>
        row = new SalesWindowRow(key, windowStartMs, windowEndMs, state.Revenue, state.Orders);
}

/// <summary>Revenue and orders of one product over the whole input.</summary>
public readonly record struct SalesTotalRow(long ProductId, long Revenue, long Orders);

/// <summary>Revenue and orders per product, unwindowed.</summary>
public struct SalesTotalSpec : IAggregationSpec<Order, long, SalesState, SalesTotalRow>
{
    public static string Name => "Tests.SalesTotals";
    public static ulong StateFingerprint => 0x1AC0_0000_0000_0002UL;
    public static WindowSpec Window => default;
    public static bool Filter(in Order e) => true;
    public static long KeyOf(in Order e) => e.ProductId;
    public static ulong HashKey(in long key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);
    public static long EventTime(in Order e) => e.TimestampMs;
    public static void Init(out SalesState state) => state = default;
    public static void Update(ref SalesState state, in Order e) => SalesState.Update(ref state, e);
    public static void Merge(ref SalesState into, in SalesState other) => SalesState.Merge(ref into, other);

    public static void ToRow(in long key, in SalesState state, long windowStartMs, long windowEndMs, out SalesTotalRow row) =>
        row = new SalesTotalRow(key, state.Revenue, state.Orders);
}
