using Kernel.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kernel.Generators;

/// <summary>
/// The incremental pipeline: <c>[StreamEvent]</c> declarations become CSV/JSON-lines codecs,
/// <c>[Aggregation]</c> declarations become a <c>Spec</c> (with <c>State</c>, <c>Key</c> and a
/// row codec), and the aggregation graph is checked for cycles. Parsing is in <see cref="Parser"/>,
/// writing in <see cref="Emitter"/>; only value models flow between the steps.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class KernelGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline's steps (asserted by the caching tests).</summary>
    public static class Steps
    {
        /// <summary>Parsed <c>[StreamEvent]</c> declarations.</summary>
        public const string Events = "Events";

        /// <summary>Parsed <c>[Aggregation]</c> declarations.</summary>
        public const string Aggregations = "Aggregations";

        /// <summary>The edges of the aggregation graph, collected.</summary>
        public const string Graph = "AggregationGraph";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var events = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownSymbols.StreamEventName,
                static (node, _) => node is TypeDeclarationSyntax,
                static (ctx, ct) => Parser.ParseEvent(ctx, ct))
            .WithTrackingName(Steps.Events);

        var aggregations = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownSymbols.AggregationName,
                static (node, _) => node is TypeDeclarationSyntax,
                static (ctx, ct) => Parser.ParseAggregation(ctx, ct))
            .WithTrackingName(Steps.Aggregations);

        var graph = aggregations
            .Select(static (result, _) => result.Edge)
            .Collect()
            .Select(static (edges, _) => new EquatableArray<AggregationEdge>(edges))
            .WithTrackingName(Steps.Graph);

        context.RegisterSourceOutput(events, static (spc, result) =>
        {
            foreach (var d in result.Diagnostics) spc.ReportDiagnostic(d.ToDiagnostic());
            if (result.Codec is null) return;
            spc.AddSource(Emitter.HintName(result.Codec.Type, "Csv"), Emitter.EmitCsv(result.Codec));
            spc.AddSource(Emitter.HintName(result.Codec.Type, "JsonLines"), Emitter.EmitJsonLines(result.Codec));
        });

        context.RegisterSourceOutput(aggregations, static (spc, result) =>
        {
            foreach (var d in result.Diagnostics) spc.ReportDiagnostic(d.ToDiagnostic());
            if (result.Model is null) return;
            spc.AddSource(Emitter.HintName(result.Model.Type, "Aggregation"), Emitter.EmitAggregation(result.Model));
            if (result.Model.RowCodec is not null)
            {
                spc.AddSource(Emitter.HintName(result.Model.Type, "Csv"), Emitter.EmitCsv(result.Model.RowCodec));
                spc.AddSource(Emitter.HintName(result.Model.Type, "JsonLines"), Emitter.EmitJsonLines(result.Model.RowCodec));
            }
        });

        context.RegisterSourceOutput(graph, static (spc, edges) =>
        {
            foreach (var d in AggregationGraph.FindCycles(edges)) spc.ReportDiagnostic(d.ToDiagnostic());
        });
    }
}
