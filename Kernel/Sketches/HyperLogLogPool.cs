namespace Kernel.Sketches;

/// <summary>The HyperLogLogs of a <c>[DistinctCount]</c> member, one per (key, window).</summary>
public sealed class HyperLogLogPool : SketchPool<HyperLogLog>
{
    private readonly int _precision;

    /// <summary>Creates an empty pool of sketches of <paramref name="precision"/> (4..18).</summary>
    public HyperLogLogPool(int precision)
    {
        if (precision is < HyperLogLog.MinPrecision or > HyperLogLog.MaxPrecision)
            SketchThrowHelper.ArgumentOutOfRange(nameof(precision), $"HyperLogLog precision must be in [{HyperLogLog.MinPrecision}, {HyperLogLog.MaxPrecision}]; it was {precision}.");
        _precision = precision;
    }

    /// <summary>The sketches' precision.</summary>
    public int Precision => _precision;

    /// <inheritdoc/>
    protected override HyperLogLog Create() => new(_precision);

    /// <inheritdoc/>
    protected override void Reset(HyperLogLog sketch) => sketch.Reset();   // back to sparse: a reused sketch estimates as a new one

    /// <inheritdoc/>
    protected override int SizeOf(HyperLogLog sketch) => sketch.SerializedSize;

    /// <inheritdoc/>
    protected override int Write(HyperLogLog sketch, Span<byte> destination) => sketch.WriteTo(destination);

    /// <inheritdoc/>
    protected override HyperLogLog Read(ReadOnlySpan<byte> source, HyperLogLog reuse)
    {
        var sketch = HyperLogLog.ReadFrom(source);
        if (sketch.Precision != _precision)
            SketchThrowHelper.InvalidData("sketch pool", "precision", 0, $"a precision-{sketch.Precision} sketch cannot restore a [DistinctCount] of precision {_precision}");
        return sketch;
    }
}
