namespace Kernel;

/// <summary>One field of an aggregation's key or state layout, in declaration order.</summary>
/// <param name="Name">The field name in the generated <c>Key</c> or <c>State</c> struct.</param>
/// <param name="TypeName">The field's C# type, fully qualified (<c>long</c>, <c>global::System.DateTime</c>).</param>
/// <param name="Kind">What the field holds.</param>
/// <param name="Source">The input member it is computed from; empty for counts and event times.</param>
public readonly record struct StateField(string Name, string TypeName, AggregateKind Kind, string Source);
