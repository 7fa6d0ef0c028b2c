namespace Kernel;

/// <summary>The sum of the named numeric input member; the row member must hold it without narrowing (a Sum of long cannot go into an int).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class SumAttribute : Attribute
{
    /// <summary>Names the input member.</summary>
    /// <param name="member">A member of the input (use <c>nameof</c>).</param>
    public SumAttribute(string member) => Member = member;

    /// <summary>The input member aggregated.</summary>
    public string Member { get; }
}
