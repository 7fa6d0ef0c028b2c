using ZoneTree.Comparers;

namespace Kernel.Bench.Lsm;

/// <summary>A 16-byte key for ZoneTree as an unmanaged struct (its fastest form), ordered like the big-endian bytes.</summary>
public struct Key16 : IEquatable<Key16>
{
    /// <summary>The first 8 bytes, big-endian.</summary>
    public ulong Hi;

    /// <summary>The last 8 bytes, big-endian.</summary>
    public ulong Lo;

    /// <inheritdoc />
    public readonly bool Equals(Key16 other) => Hi == other.Hi && Lo == other.Lo;

    /// <inheritdoc />
    public override readonly bool Equals(object? obj) => obj is Key16 k && Equals(k);

    /// <inheritdoc />
    public override readonly int GetHashCode() => HashCode.Combine(Hi, Lo);
}

/// <summary>Orders <see cref="Key16"/> as the bytes would order.</summary>
public sealed class Key16Comparer : IRefComparer<Key16>
{
    /// <inheritdoc />
    public int Compare(in Key16 x, in Key16 y) => x.Hi != y.Hi ? x.Hi.CompareTo(y.Hi) : x.Lo.CompareTo(y.Lo);
}
