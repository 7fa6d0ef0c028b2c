namespace Kernel;

/// <summary>
/// An estimate of the number of distinct values of the named input member per key (and window),
/// from a HyperLogLog kept beside the state (relative standard error ≈ 1.04/√2^<see cref="Precision"/>).
/// The row member is a <c>long</c>. The member must be hashable: an integer, <c>bool</c>,
/// <c>char</c>, enum, <c>DateTime</c> or <c>DateTimeOffset</c> (KRN0024).
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class DistinctCountAttribute : Attribute
{
    /// <summary>Names the input member counted.</summary>
    /// <param name="member">A member of the input (use <c>nameof</c>).</param>
    public DistinctCountAttribute(string member) => Member = member;

    /// <summary>The input member counted.</summary>
    public string Member { get; }

    /// <summary>HyperLogLog precision p, 4..18 (2^p registers); 14 by default (0.81 % standard error, 16 KiB per dense sketch).</summary>
    public int Precision { get; set; } = 14;
}
