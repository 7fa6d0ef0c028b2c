namespace Kernel;

/// <summary>
/// A uniform sample of k input events per key (and window), kept in a reservoir beside the state.
/// The row member is a <c>Kernel.Sketches.Reservoir&lt;TInput&gt;</c>: a handle to the live sample, valid
/// while the row is handed to its reader (copy <c>Items</c> out to keep it; the reservoir is reused
/// once its key or window is freed). Over events only, not over another aggregation's rows.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class SampleAttribute : Attribute
{
    /// <summary>Declares a sample of <paramref name="capacity"/> events.</summary>
    /// <param name="capacity">k, the events kept (≥ 1; KRN0023 otherwise).</param>
    public SampleAttribute(int capacity) => Capacity = capacity;

    /// <summary>k, the events kept.</summary>
    public int Capacity { get; }

    /// <summary>Seeds the reservoirs' random choices (the same input gives the same samples).</summary>
    public long Seed { get; set; }
}
