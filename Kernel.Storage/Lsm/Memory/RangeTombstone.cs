namespace Kernel.Storage.Lsm.Memory;

/// <summary>
/// A range delete: every version of a key in [<see cref="Start"/>, <see cref="End"/>) with a
/// sequence below <see cref="Sequence"/> is deleted. Immutable.
/// </summary>
internal sealed class RangeTombstone
{
    public RangeTombstone(byte[] start, byte[] end, ulong sequence)
    {
        Start = start;
        End = end;
        Sequence = sequence;
    }

    public byte[] Start { get; }
    public byte[] End { get; }
    public ulong Sequence { get; }

    /// <summary>True when <paramref name="userKey"/> lies in [Start, End).</summary>
    public bool Covers(ReadOnlySpan<byte> userKey) =>
        userKey.SequenceCompareTo(Start) >= 0 && userKey.SequenceCompareTo(End) < 0;

    /// <summary>True when [Start, End) meets [smallest, largest] (both inclusive).</summary>
    public bool Overlaps(ReadOnlySpan<byte> smallest, ReadOnlySpan<byte> largest) =>
        largest.SequenceCompareTo(Start) >= 0 && smallest.SequenceCompareTo(End) < 0;

    /// <summary>The newest tombstone sequence in <paramref name="set"/> covering the key and visible at <paramref name="snapshot"/>, or 0.</summary>
    public static ulong MaxCovering(RangeTombstone[] set, ReadOnlySpan<byte> userKey, ulong snapshot)
    {
        ulong max = 0;
        foreach (var t in set)
        {
            if (t.Sequence > max && t.Sequence <= snapshot && t.Covers(userKey)) max = t.Sequence;
        }
        return max;
    }
}
