namespace Kernel;

/// <summary>
/// Declares a partial struct as a keyed aggregation over <see cref="Input"/>: the struct is one
/// output row, its members carry <c>[Key]</c>, <c>[Sum]</c>, <c>[Count]</c>, <c>[Min]</c>,
/// <c>[Max]</c>, <c>[Avg]</c>, <c>[First]</c>, <c>[Last]</c>, <c>[WindowStart]</c> and
/// <c>[WindowEnd]</c>. The generator emits a nested <c>Spec</c> (the compiled operator spec),
/// <c>State</c> and, for composite keys, <c>Key</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class AggregationAttribute : Attribute
{
    /// <summary>Declares the input.</summary>
    /// <param name="input">A <c>[StreamEvent]</c> type, or another aggregation (its rows, consumed as upserts).</param>
    public AggregationAttribute(Type input) => Input = input;

    /// <summary>The input: a <c>[StreamEvent]</c> type or another aggregation.</summary>
    public Type Input { get; }
}
