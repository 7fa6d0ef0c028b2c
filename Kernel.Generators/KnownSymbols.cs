using Microsoft.CodeAnalysis;

namespace Kernel.Generators;

/// <summary>
/// The attribute types of the declaration surface, resolved once per compilation. Used only
/// inside a transform: symbols never leave it (models hold strings).
/// </summary>
internal sealed class KnownSymbols
{
    public const string StreamEventName = "Kernel.StreamEventAttribute";
    public const string AggregationName = "Kernel.AggregationAttribute";

    public KnownSymbols(Compilation compilation)
    {
        StreamEvent = compilation.GetTypeByMetadataName(StreamEventName);
        Aggregation = compilation.GetTypeByMetadataName(AggregationName);
        EventTime = compilation.GetTypeByMetadataName("Kernel.EventTimeAttribute");
        Column = compilation.GetTypeByMetadataName("Kernel.ColumnAttribute");
        Where = compilation.GetTypeByMetadataName("Kernel.WhereAttribute");
        Key = compilation.GetTypeByMetadataName("Kernel.KeyAttribute");
        Sum = compilation.GetTypeByMetadataName("Kernel.SumAttribute");
        Count = compilation.GetTypeByMetadataName("Kernel.CountAttribute");
        Min = compilation.GetTypeByMetadataName("Kernel.MinAttribute");
        Max = compilation.GetTypeByMetadataName("Kernel.MaxAttribute");
        Avg = compilation.GetTypeByMetadataName("Kernel.AvgAttribute");
        First = compilation.GetTypeByMetadataName("Kernel.FirstAttribute");
        Last = compilation.GetTypeByMetadataName("Kernel.LastAttribute");
        WindowStart = compilation.GetTypeByMetadataName("Kernel.WindowStartAttribute");
        WindowEnd = compilation.GetTypeByMetadataName("Kernel.WindowEndAttribute");
        TumblingWindow = compilation.GetTypeByMetadataName("Kernel.TumblingWindowAttribute");
        SlidingWindow = compilation.GetTypeByMetadataName("Kernel.SlidingWindowAttribute");
        SessionWindow = compilation.GetTypeByMetadataName("Kernel.SessionWindowAttribute");
        Watermark = compilation.GetTypeByMetadataName("Kernel.WatermarkAttribute");
        AllowedLateness = compilation.GetTypeByMetadataName("Kernel.AllowedLatenessAttribute");
        Emit = compilation.GetTypeByMetadataName("Kernel.EmitAttribute");
        DistinctCount = compilation.GetTypeByMetadataName("Kernel.DistinctCountAttribute");
        Sample = compilation.GetTypeByMetadataName("Kernel.SampleAttribute");
        TopK = compilation.GetTypeByMetadataName("Kernel.TopKAttribute");
        Reservoir = compilation.GetTypeByMetadataName("Kernel.Sketches.Reservoir`1");
        Leaderboard = compilation.GetTypeByMetadataName("Kernel.Sketches.Leaderboard`2");
        DateTime = compilation.GetTypeByMetadataName("System.DateTime");
        DateTimeOffset = compilation.GetTypeByMetadataName("System.DateTimeOffset");
    }

    public INamedTypeSymbol? StreamEvent { get; }
    public INamedTypeSymbol? Aggregation { get; }
    public INamedTypeSymbol? EventTime { get; }
    public INamedTypeSymbol? Column { get; }
    public INamedTypeSymbol? Where { get; }
    public INamedTypeSymbol? Key { get; }
    public INamedTypeSymbol? Sum { get; }
    public INamedTypeSymbol? Count { get; }
    public INamedTypeSymbol? Min { get; }
    public INamedTypeSymbol? Max { get; }
    public INamedTypeSymbol? Avg { get; }
    public INamedTypeSymbol? First { get; }
    public INamedTypeSymbol? Last { get; }
    public INamedTypeSymbol? WindowStart { get; }
    public INamedTypeSymbol? WindowEnd { get; }
    public INamedTypeSymbol? TumblingWindow { get; }
    public INamedTypeSymbol? SlidingWindow { get; }
    public INamedTypeSymbol? SessionWindow { get; }
    public INamedTypeSymbol? Watermark { get; }
    public INamedTypeSymbol? AllowedLateness { get; }
    public INamedTypeSymbol? Emit { get; }
    public INamedTypeSymbol? DistinctCount { get; }
    public INamedTypeSymbol? Sample { get; }
    public INamedTypeSymbol? TopK { get; }
    public INamedTypeSymbol? Reservoir { get; }
    public INamedTypeSymbol? Leaderboard { get; }
    public INamedTypeSymbol? DateTime { get; }
    public INamedTypeSymbol? DateTimeOffset { get; }

    public static bool Is(AttributeData attribute, INamedTypeSymbol? type)
        => type is not null && SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, type);
}
