namespace Kernel.Bench.Scaling;

/// <summary>The scaling suite's event: 16 bytes, a key and a value (a small event keeps the key, not the input, the thing that grows).</summary>
[StreamEvent]
public partial struct KeyedTick
{
    /// <summary>Key, uniform over the run's key count.</summary>
    public long Key;

    /// <summary>Value summed per key.</summary>
    public long Value;
}
