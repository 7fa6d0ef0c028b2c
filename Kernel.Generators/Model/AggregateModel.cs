namespace Kernel.Generators.Model;

/// <summary>One aggregated member of a row.</summary>
/// <param name="Op">The aggregate function.</param>
/// <param name="RowMember">The row member that receives the result.</param>
/// <param name="RowTypeName">The row member's type.</param>
/// <param name="RowKind">The row member's type kind.</param>
/// <param name="SourceMember">The input member folded; empty for <c>[Count]</c>.</param>
/// <param name="AvgSumTypeName">
/// <c>[Avg]</c> only: the type its running sum is kept in (<c>long</c> for an integer source that
/// converts to <c>long</c>, exact; <c>decimal</c> for a decimal source or row; <c>double</c> otherwise).
/// </param>
internal sealed record AggregateModel(AggregateOp Op, string RowMember, string RowTypeName, ValueKind RowKind, string SourceMember, string AvgSumTypeName = "");
