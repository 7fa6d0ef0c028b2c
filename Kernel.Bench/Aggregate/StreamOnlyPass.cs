namespace Kernel.Bench.Aggregate;

/// <summary>
/// A diagnostic floor for <c>operator</c>: one pass over the orders that reads the members the fold reads
/// (and so every cache line of the input) and folds them into one checksum, with no keyed state. Its speed
/// is what streaming the 48-byte orders from memory costs on this machine; an operator cannot go faster.
/// </summary>
public sealed class StreamOnlyPass
{
    /// <summary>The checksum (kept, so the reads are not optimized away).</summary>
    public long Checksum { get; private set; }

    /// <summary>Reads one batch.</summary>
    public void Apply(ReadOnlySpan<BenchOrder> orders)
    {
        var sum = Checksum;
        foreach (ref readonly var e in orders)
            sum += e.ProductId ^ e.RevenueCents ^ e.TimestampMs ^ e.OrderId;
        Checksum = sum;
    }
}
