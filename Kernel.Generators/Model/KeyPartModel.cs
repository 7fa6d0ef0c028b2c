namespace Kernel.Generators.Model;

/// <summary>One component of an aggregation's key.</summary>
/// <param name="RowMember">The <c>[Key]</c> member of the row (names the <c>Key</c> field too).</param>
/// <param name="SourceMember">The input member it is read from.</param>
/// <param name="TypeName">The row member's type.</param>
/// <param name="Kind">The row member's type kind.</param>
/// <param name="EnumUnderlying">The underlying integer type of an enum key, else empty.</param>
internal sealed record KeyPartModel(string RowMember, string SourceMember, string TypeName, ValueKind Kind, string EnumUnderlying);
