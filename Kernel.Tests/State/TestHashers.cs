using Kernel.State;

namespace Kernel.Tests.State;

/// <summary>A well-mixed hash of long keys.</summary>
public struct MixedLongHasher : IKeyHasher<long>
{
    public static ulong Hash(in long key)
    {
        var h = (ulong)key * 0x9E3779B97F4A7C15UL;
        return h ^ (h >> 29);
    }
}

/// <summary>A deliberately bad hash (16 distinct values): long probe runs, many shifts on removal.</summary>
public struct CollidingLongHasher : IKeyHasher<long>
{
    public static ulong Hash(in long key) => (ulong)(key & 15) * 0x0101010101010101UL;
}

/// <summary>The Fibonacci hash with direct mode allowed: integer keys index the table while they are dense.</summary>
public struct DirectLongHasher : IKeyHasher<long>
{
    public static ulong Hash(in long key) => (ulong)key * 0x9E3779B97F4A7C15UL;

    public static bool DirectIndex => true;
}

/// <summary>The same for <see cref="int"/> keys.</summary>
public struct DirectIntHasher : IKeyHasher<int>
{
    public static ulong Hash(in int key) => (ulong)(long)key * 0x9E3779B97F4A7C15UL;

    public static bool DirectIndex => true;
}
