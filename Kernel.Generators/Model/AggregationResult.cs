namespace Kernel.Generators.Model;

/// <summary>The parse of one <c>[Aggregation]</c>: the model (null when it cannot be emitted), its graph edge and diagnostics.</summary>
internal sealed record AggregationResult(AggregationModel? Model, AggregationEdge Edge, EquatableArray<DiagnosticInfo> Diagnostics);
