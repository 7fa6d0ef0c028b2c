namespace Kernel.Sketches;

/// <summary>The reservoirs of a <c>[Sample]</c> member, one per (key, window).</summary>
/// <typeparam name="T">The sampled item (the aggregation's input event).</typeparam>
public sealed class ReservoirPool<T> : SketchPool<Reservoir<T>> where T : unmanaged
{
    private readonly int _capacity;
    private readonly ulong _seed;

    /// <summary>Creates an empty pool of reservoirs of <paramref name="capacity"/> items.</summary>
    /// <param name="capacity">Items per sample (k ≥ 1).</param>
    /// <param name="seed">Seeds the reservoirs: the n-th one rented uses a seed derived from it and n, so runs (and restored runs) are reproducible.</param>
    public ReservoirPool(int capacity, ulong seed)
    {
        if (capacity <= 0)
            SketchThrowHelper.ArgumentOutOfRange(nameof(capacity), $"A sample holds at least one item; capacity was {capacity}.");
        _capacity = capacity;
        _seed = seed;
    }

    /// <summary>Items per sample.</summary>
    public int Capacity => _capacity;

    /// <inheritdoc/>
    protected override Reservoir<T> Create() => new(_capacity, _seed);

    /// <inheritdoc/>
    /// <remarks>Distinct, reproducible seeds per rent: golden-ratio steps from the declared seed (SplitMix64 mixes them).</remarks>
    protected override void OnRent(Reservoir<T> sketch, long rent) => sketch.Clear(unchecked(_seed + (ulong)rent * 0x9E3779B97F4A7C15UL));

    /// <inheritdoc/>
    protected override void Reset(Reservoir<T> sketch) => sketch.Clear();

    /// <inheritdoc/>
    protected override int SizeOf(Reservoir<T> sketch) => sketch.SnapshotSize;

    /// <inheritdoc/>
    protected override int Write(Reservoir<T> sketch, Span<byte> destination) => sketch.WriteSnapshot(destination);

    /// <inheritdoc/>
    protected override Reservoir<T> Read(ReadOnlySpan<byte> source, Reservoir<T> reuse)
    {
        reuse.RestoreSnapshot(source);
        return reuse;
    }
}
