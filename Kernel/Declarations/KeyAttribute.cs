namespace Kernel;

/// <summary>
/// Marks a grouping key member of an aggregation row. Several <c>[Key]</c> members form a
/// composite key; none means a single global row.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class KeyAttribute : Attribute
{
    /// <summary>Takes the key from the input member of the same name.</summary>
    public KeyAttribute()
    {
    }

    /// <summary>Takes the key from the named input member.</summary>
    /// <param name="member">A member of the input (use <c>nameof</c>).</param>
    public KeyAttribute(string member) => Member = member;

    /// <summary>The input member the key is read from; null for the member of the same name.</summary>
    public string? Member { get; }
}
