namespace Kernel.Generators.Model;

/// <summary>One edge of the aggregation graph: an aggregation and the aggregation it reads (empty for an event input).</summary>
internal sealed record AggregationEdge(string Aggregation, string InputAggregation, LocationInfo? Location);
