using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// A diagnostic (<c>KERNEL_AGG_STRIDE_PROBE=1</c> with <c>KERNEL_AGG_CPU_PAIRS</c>): the operator's direct fold
/// reduced to an array indexed by product id (no control byte, no range test), over slots of a given stride,
/// to show what the table's footprint costs: 80 bytes (key + 72-byte state, the state table's entry), 72 (the
/// state alone, as a direct table without stored keys would hold it), 64 (a 64-byte state: one line per key,
/// the First value left out, so a little less work too), and 128 with that 64-byte state on the first line of
/// each slot (the second line never touched: what a padded layout with its cold fields there would cost).
/// The probes' loops are plainer than the operator's (an index, checked reads): compare them with each other.
/// Session 13's figures are in <c>Notes/aggregate.md</c>.
/// </summary>
public sealed unsafe class StrideProbe
{
    private readonly byte[] _slots;
    private readonly int _stride;
    private readonly int _offset;
    private readonly bool _lean64;

    /// <summary>Slots of <paramref name="stride"/> bytes, the state at <paramref name="offset"/> in each (the 64-byte state when <paramref name="lean64"/>).</summary>
    public StrideProbe(int stride, int offset, bool lean64)
    {
        _lean64 = lean64;
        _stride = stride;
        _slots = GC.AllocateArray<byte>(stride * OrderData.Products + 64, pinned: true);
        // Slot 0 on a cache line (the array is pinned, so its address stays): a 64-byte state is then one line.
        var address = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_slots));
        _offset = offset + (int)((64 - address % 64) % 64);
        for (var k = 0; k < OrderData.Products; k++)
        {
            ref var s = ref StateAt(k);
            if (!lean64) RevenueFolding.Init(out Unsafe.As<byte, BenchRevenueState>(ref s));
            else
            {
                ref var t = ref Unsafe.As<byte, Lean64>(ref s);
                t = default;
                t.Cheapest = long.MaxValue; t.Dearest = long.MinValue; t.FirstTime = long.MaxValue; t.LastTime = long.MinValue;
            }
        }
    }

    private ref byte StateAt(long k) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), (nint)(k * _stride + _offset));

    /// <summary>Folds one batch.</summary>
    public void Apply(ReadOnlySpan<BenchOrder> orders)
    {
        if (!_lean64) Fold72(orders);
        else Fold64(orders);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fold72(ReadOnlySpan<BenchOrder> orders)
    {
        ref var b = ref MemoryMarshal.GetArrayDataReference(_slots);
        var p0 = (byte*)Unsafe.AsPointer(ref b) + _offset;
        var stride = (nint)_stride;
        var offset = (nint)_offset;
        for (var i = 0; i < orders.Length; i++)
        {
            if (i + 8 < orders.Length)
            {
                var p = p0 + orders[i + 8].ProductId * stride;
                Sse.Prefetch0(p);
                Sse.Prefetch0(p + 71);
            }
            ref readonly var e = ref orders[i];
            if (!e.IsPaid) continue;
            RevenueFolding.Update(ref Unsafe.As<byte, BenchRevenueState>(ref Unsafe.Add(ref b, (nint)e.ProductId * stride + offset)), e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fold64(ReadOnlySpan<BenchOrder> orders)
    {
        ref var b = ref MemoryMarshal.GetArrayDataReference(_slots);
        var p0 = (byte*)Unsafe.AsPointer(ref b) + _offset;
        var stride = (nint)_stride;
        var offset = (nint)_offset;
        for (var i = 0; i < orders.Length; i++)
        {
            if (i + 8 < orders.Length)
            {
                var p = p0 + orders[i + 8].ProductId * stride;
                Sse.Prefetch0(p);
                Sse.Prefetch0(p + 63);
            }
            ref readonly var e = ref orders[i];
            if (!e.IsPaid) continue;
            ref var s = ref Unsafe.As<byte, Lean64>(ref Unsafe.Add(ref b, (nint)e.ProductId * stride + offset));
            s.RevenueCents += e.RevenueCents;
            s.Orders++;
            s.PriceSum += e.PriceCents;
            if (e.PriceCents < s.Cheapest) s.Cheapest = e.PriceCents;
            if (e.PriceCents > s.Dearest) s.Dearest = e.PriceCents;
            if (e.TimestampMs < s.FirstTime) s.FirstTime = e.TimestampMs;
            if (e.TimestampMs >= s.LastTime) { s.LastTime = e.TimestampMs; s.LastOrder = e.OrderId; }
        }
    }

    private struct Lean64
    {
        public long RevenueCents, Orders, Cheapest, Dearest, PriceSum, FirstTime, LastTime, LastOrder;
    }
}
