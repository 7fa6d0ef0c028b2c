namespace Kernel.Generators.Model;

/// <summary>One field of the generated <c>State</c> or <c>Key</c> struct, as recorded in the state schema.</summary>
/// <param name="Name">The field name.</param>
/// <param name="TypeName">The field type.</param>
/// <param name="Kind">The runtime <c>Kernel.AggregateKind</c> member name.</param>
/// <param name="Source">The input member it comes from; empty for counts and times.</param>
internal sealed record StateFieldModel(string Name, string TypeName, string Kind, string Source);
