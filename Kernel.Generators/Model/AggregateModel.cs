namespace Kernel.Generators.Model;

/// <summary>One aggregated member of a row.</summary>
/// <param name="Op">The aggregate function.</param>
/// <param name="RowMember">The row member that receives the result.</param>
/// <param name="RowTypeName">The row member's type.</param>
/// <param name="RowKind">The row member's type kind.</param>
/// <param name="SourceMember">The input member folded; empty for <c>[Count]</c>.</param>
internal sealed record AggregateModel(AggregateOp Op, string RowMember, string RowTypeName, ValueKind RowKind, string SourceMember);
