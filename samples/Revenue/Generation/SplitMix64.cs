namespace Revenue.Generation;

/// <summary>A tiny seeded generator: the same seed gives the same orders on every machine and runtime.</summary>
internal struct SplitMix64(long seed)
{
    private ulong _state = (ulong)seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, bound).</summary>
    public long NextInt64(long bound) => (long)(NextDouble() * bound);
}
