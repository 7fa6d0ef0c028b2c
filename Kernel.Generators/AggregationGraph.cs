using System.Collections.Generic;
using System.Linq;
using Kernel.Generators.Model;

namespace Kernel.Generators;

/// <summary>Checks that aggregations reading other aggregations form a DAG.</summary>
internal static class AggregationGraph
{
    /// <summary>One KRN0010 per aggregation on a cycle, naming the whole cycle (ordinal order: deterministic).</summary>
    public static List<DiagnosticInfo> FindCycles(EquatableArray<AggregationEdge> edges)
    {
        var inputOf = new Dictionary<string, AggregationEdge>(System.StringComparer.Ordinal);
        foreach (var e in edges) inputOf[e.Aggregation] = e;
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var start in inputOf.Keys.OrderBy(k => k, System.StringComparer.Ordinal))
        {
            // Each node has at most one input, so following inputs from 'start' either ends or loops;
            // 'start' is on a cycle exactly when the walk comes back to it.
            var path = new List<string> { start };
            var seen = new HashSet<string>(System.StringComparer.Ordinal) { start };
            var current = start;
            while (inputOf.TryGetValue(current, out var edge) && edge.InputAggregation.Length > 0)
            {
                current = edge.InputAggregation;
                path.Add(current);
                if (current == start)
                {
                    var edgeOfStart = inputOf[start];
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.AggregationCycle.Id, edgeOfStart.Location,
                        new EquatableArray<string>(new[] { start, string.Join(" → ", path) })));
                    break;
                }
                if (!seen.Add(current)) break;
            }
        }
        return diagnostics;
    }
}
