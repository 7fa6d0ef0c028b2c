using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

/// <summary>
/// A small, seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64) kept by
/// value inside a sketch, so drawing a number never allocates and a sketch built from the same
/// seed over the same input makes the same choices. Not cryptographic.
/// </summary>
/// <remarks>
/// A mutable struct: hold it in a field and call it through that field (never through a
/// <c>readonly</c> field or a copy, which would advance a copy and repeat numbers).
/// </remarks>
public struct SketchRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public SketchRandom(ulong seed)
    {
        // SplitMix64 spreads any seed (0 included) over the 256-bit state, which must not be all zero.
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in the open interval (0, 1): never 0, so its logarithm is finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextOpenDouble() => ((NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>
    /// A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's
    /// multiply-and-reject). <paramref name="bound"/> must be positive.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextBounded(ulong bound)
    {
        var high = Math.BigMul(NextUInt64(), bound, out var low);
        if (low < bound)
            return NextBoundedSlow(bound, high, low);
        return high;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong NextBoundedSlow(ulong bound, ulong high, ulong low)
    {
        // Reject the few low products that would over-represent small results.
        var threshold = (0 - bound) % bound;
        while (low < threshold)
            high = Math.BigMul(NextUInt64(), bound, out low);
        return high;
    }

    /// <summary>Copies the generator's 256-bit state out (for snapshots).</summary>
    public readonly void GetState(out ulong s0, out ulong s1, out ulong s2, out ulong s3)
    {
        s0 = _s0;
        s1 = _s1;
        s2 = _s2;
        s3 = _s3;
    }

    /// <summary>Restores a state written by <see cref="GetState"/>; returns false for the invalid all-zero state.</summary>
    public bool TrySetState(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0)
            return false;
        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        _s3 = s3;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
