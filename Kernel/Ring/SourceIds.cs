namespace Kernel.Ring;

/// <summary>Source ids with a meaning of their own in <see cref="RingEntry{T}.SourceId"/>.</summary>
public static class SourceIds
{
    /// <summary>
    /// The source id of an <see cref="EntryKind.EndOfInput"/> entry that ends every source at once
    /// (<c>StreamKernel.CompleteAsync</c> publishes one): a windowed operator then moves every source's
    /// watermark to +∞. Valid only on end of input; event and watermark entries carry ids from 0 up.
    /// </summary>
    public const int All = -1;
}
