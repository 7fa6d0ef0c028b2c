namespace Kernel;

/// <summary>Keeps only the input events whose named <see cref="bool"/> field or property is true.</summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class WhereAttribute : Attribute
{
    /// <summary>Names the filter.</summary>
    /// <param name="member">A <see cref="bool"/> field or property of the input (use <c>nameof</c>).</param>
    public WhereAttribute(string member) => Member = member;

    /// <summary>The <see cref="bool"/> member of the input that must be true.</summary>
    public string Member { get; }
}
