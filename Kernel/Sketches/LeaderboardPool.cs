using System.Numerics;

namespace Kernel.Sketches;

/// <summary>
/// The leaderboards of a <c>[TopK]</c> member, one per downstream key. A leaderboard is exact over
/// the upstream rows the operator keeps, so a snapshot records only which handles are live; the
/// operator refills them from its kept rows after a restore.
/// </summary>
/// <typeparam name="TKey">The ranked upstream key.</typeparam>
/// <typeparam name="TValue">The ranked value.</typeparam>
public sealed class LeaderboardPool<TKey, TValue> : SketchPool<Leaderboard<TKey, TValue>>
    where TKey : unmanaged, IEquatable<TKey>, IComparable<TKey>
    where TValue : unmanaged, INumber<TValue>
{
    private readonly int _k;

    /// <summary>Creates an empty pool of top-<paramref name="k"/> leaderboards.</summary>
    public LeaderboardPool(int k)
    {
        if (k <= 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(k), $"A leaderboard ranks at least one key; k was {k}.");
        _k = k;
    }

    /// <summary>How many keys each leaderboard ranks.</summary>
    public int K => _k;

    /// <inheritdoc/>
    protected override Leaderboard<TKey, TValue> Create() => new(_k, 64);

    /// <inheritdoc/>
    protected override void Reset(Leaderboard<TKey, TValue> sketch) => sketch.Clear();

    /// <inheritdoc/>
    protected override int SizeOf(Leaderboard<TKey, TValue> sketch) => 0;

    /// <inheritdoc/>
    protected override int Write(Leaderboard<TKey, TValue> sketch, Span<byte> destination) => 0;

    /// <inheritdoc/>
    protected override Leaderboard<TKey, TValue> Read(ReadOnlySpan<byte> source, Leaderboard<TKey, TValue> reuse)
    {
        reuse.Clear();
        return reuse;
    }
}
