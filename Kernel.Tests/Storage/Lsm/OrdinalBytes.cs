namespace Kernel.Tests.Storage.Lsm;

/// <summary>Orders byte arrays as unsigned bytes, shorter first on a common prefix (the store's key order).</summary>
internal sealed class OrdinalBytes : IComparer<byte[]>
{
    public static readonly OrdinalBytes Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
