using System.Collections.Generic;
using System.Text;
using System.Threading;
using Kernel.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Kernel.Generators;

internal static partial class Parser
{
    private static readonly string[] s_roles = { "Key", "Sum", "Count", "Min", "Max", "Avg", "First", "Last", "WindowStart", "WindowEnd", "DistinctCount", "Sample", "TopK" };

    /// <summary>Parses one <c>[Aggregation]</c> declaration.</summary>
    public static AggregationResult ParseAggregation(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var compilation = context.SemanticModel.Compilation;
        var known = new KnownSymbols(compilation);
        var attribute = context.Attributes[0];
        var attributeLocation = LocationOf(attribute, type, ct);
        var diagnostics = new List<DiagnosticInfo>();
        var typeRef = CheckDeclaration(type, attribute, "Aggregation", "its Spec, State and Csv", diagnostics, ct);
        var edge = new AggregationEdge(MetadataName(type), string.Empty, LocationInfo.From(attributeLocation));

        if (attribute.ConstructorArguments.Length == 0 || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol input || input.TypeKind == TypeKind.Error)
        {
            // The compiler already reports a missing or unresolved typeof.
            return new AggregationResult(null, edge, EquatableArray.From(diagnostics));
        }
        var inputIsEvent = HasAttribute(input, known.StreamEvent);
        var inputIsAggregation = HasAttribute(input, known.Aggregation);
        if (!inputIsEvent && !inputIsAggregation)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InputNotEventOrAggregation, attributeLocation, type.Name, ShortTypeName(input)));
        }
        if (inputIsAggregation) edge = edge with { InputAggregation = MetadataName(input) };

        var inputMembers = InstanceMembers(input);
        var eventTime = FindEventTime(input, inputIsAggregation && !inputIsEvent, known);
        var where = ParseWhere(type, input, inputMembers, known, diagnostics, ct);
        var keys = new List<KeyPartModel>();
        var aggregates = new List<AggregateModel>();
        var sketches = new List<SketchModel>();
        var windowStart = string.Empty;
        var windowEnd = string.Empty;
        var rowMembers = InstanceMembers(type);
        foreach (var m in rowMembers)
        {
            ParseRowMember(m, type, input, inputIsAggregation, inputMembers, compilation, known, keys, aggregates, sketches, ref windowStart, ref windowEnd, diagnostics, ct);
        }
        var upstreamKeys = inputIsAggregation ? UpstreamIdentity(inputMembers, known) : new List<KeyPartModel>();
        var missingWindowStart = inputIsAggregation && CheckUpstreamRows(type, input, known, attributeLocation, diagnostics);
        var window = ParseWindow(type, known, eventTime, ShortTypeName(input), inputIsAggregation && !inputIsEvent, missingWindowStart, diagnostics, ct);
        if (window.Kind != "None" && inputIsAggregation && !inputIsEvent) CheckWindowOverRevisions(type, input, known, diagnostics, ct);
        var generated = new List<string> { "Spec", "State", "CreateOperator" };
        if (!HasAttribute(type, known.StreamEvent)) generated.AddRange(["Csv", "JsonLines"]);
        if (keys.Count > 1 || (keys.Count == 1 && keys[0].Kind == ValueKind.Enum)) generated.Add("Key");
        if (inputIsAggregation) generated.Add("UpstreamKey");
        if (sketches.Count > 0) generated.Add("Sketches");
        CheckGeneratedNames(type, rowMembers, generated, diagnostics);

        if (typeRef is null || HasErrors(diagnostics))
        {
            return new AggregationResult(null, edge, EquatableArray.From(diagnostics));
        }
        var keyFields = new List<StateFieldModel>();
        foreach (var k in keys) keyFields.Add(new StateFieldModel(k.RowMember, k.TypeName, "Key", k.SourceMember));
        var stateFields = StateLayout(aggregates);
        foreach (var k in sketches) stateFields.Add(new StateFieldModel(k.RowMember + "_Sketch", "int", k.Op.ToString(), SketchSource(k)));
        stateFields = HotFirst(stateFields);
        // Sample and TopK members are handles to live sketches, not values: no CSV column.
        var codecMembers = rowMembers.FindAll(m => !HasAttribute(m.Symbol, known.Sample) && !HasAttribute(m.Symbol, known.TopK));
        var codec = HasAttribute(type, known.StreamEvent) ? null : BuildCodec(typeRef, codecMembers, known, sourceParsers: false, diagnostics);
        var model = new AggregationModel(
            typeRef, TypeName(input), where, eventTime, EquatableArray.From(keys), EquatableArray.From(aggregates),
            windowStart, windowEnd, window, EquatableArray.From(keyFields), EquatableArray.From(stateFields),
            Fingerprint(keyFields, stateFields), codec, inputIsAggregation, EquatableArray.From(upstreamKeys), EquatableArray.From(sketches));
        return new AggregationResult(model, edge, EquatableArray.From(diagnostics));
    }

    private static string MetadataName(INamedTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);

    private static string ParseWhere(
        INamedTypeSymbol type, INamedTypeSymbol input, List<MemberInfo> inputMembers, KnownSymbols known,
        List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var where = FindAttribute(type, known.Where);
        if (where is null) return string.Empty;
        var name = StringArgument(where, 0) ?? string.Empty;
        var location = LocationOf(where, type, ct);
        if (!TryFindMember(inputMembers, name, out var member))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberNotFound, location, input.Name, name, "Where", type.Name));
            return string.Empty;
        }
        if (member.Type.SpecialType != SpecialType.System_Boolean)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WhereNotBool, location, type.Name, input.Name + "." + name, ShortTypeName(member.Type)));
            return string.Empty;
        }
        return name;
    }

    private static void ParseRowMember(
        MemberInfo m, INamedTypeSymbol type, INamedTypeSymbol input, bool inputIsAggregation, List<MemberInfo> inputMembers,
        Compilation compilation, KnownSymbols known, List<KeyPartModel> keys, List<AggregateModel> aggregates,
        List<SketchModel> sketches, ref string windowStart, ref string windowEnd, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        INamedTypeSymbol?[] roleTypes = { known.Key, known.Sum, known.Count, known.Min, known.Max, known.Avg, known.First, known.Last, known.WindowStart, known.WindowEnd, known.DistinctCount, known.Sample, known.TopK };
        string? role = null;
        AttributeData? attribute = null;
        foreach (var a in m.Symbol.GetAttributes())
        {
            for (var r = 0; r < roleTypes.Length; r++)
            {
                if (!KnownSymbols.Is(a, roleTypes[r])) continue;
                if (role is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConflictingMemberAttributes, LocationOf(a, m.Symbol, ct), type.Name + "." + m.Name, role, s_roles[r]));
                    return;
                }
                role = s_roles[r];
                attribute = a;
            }
        }
        if (role is null) return;
        var location = LocationOf(attribute, m.Symbol, ct);
        var qualified = type.Name + "." + m.Name;
        if (!m.Writable)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RowMemberNotWritable, location, qualified));
            return;
        }
        var rowKind = KindOf(m.Type, known, out var underlying);
        var rowType = ShortTypeName(m.Type);
        if (role is "DistinctCount" or "Sample" or "TopK")
        {
            var sketch = ParseSketch(role, attribute!, location, qualified, m, rowKind, rowType, input, inputIsAggregation, inputMembers, known, diagnostics);
            if (sketch is not null) sketches.Add(sketch);
            return;
        }
        if (role is "WindowStart" or "WindowEnd")
        {
            if (rowKind != ValueKind.Int64)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowBoundType, location, role, qualified, rowType));
            }
            else if (role == "WindowStart") windowStart = m.Name;
            else windowEnd = m.Name;
            return;
        }
        if (role == "Count")
        {
            if (rowKind is ValueKind.Int64 or ValueKind.Single or ValueKind.Double or ValueKind.Decimal)
                aggregates.Add(new AggregateModel(AggregateOp.Count, m.Name, TypeName(m.Type), rowKind, string.Empty));
            else
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType, "a [Count] (a 64-bit count)", "long"));
            return;
        }

        var sourceName = StringArgument(attribute!, 0) ?? m.Name;
        if (!TryFindMember(inputMembers, sourceName, out var source))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberNotFound, location, input.Name, sourceName, role, qualified));
            return;
        }
        var sourceKind = KindOf(source.Type, known, out _);
        var sourceType = ShortTypeName(source.Type);
        var sourceQualified = input.Name + "." + sourceName;
        if (role == "Key")
        {
            if (rowKind is not (ValueKind.Boolean or ValueKind.Char or ValueKind.Enum) && !IsInteger(rowKind))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedKeyType, location, qualified, rowType));
                return;
            }
            if (!Holds(compilation, source.Type, m.Type))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType,
                    $"the key '{sourceQualified}' of type '{sourceType}'", $"'{sourceType}'"));
                return;
            }
            foreach (var k in keys)
            {
                if (k.SourceMember == sourceName)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateKey, location, qualified, sourceQualified, type.Name + "." + k.RowMember));
                    return;
                }
            }
            keys.Add(new KeyPartModel(m.Name, sourceName, TypeName(m.Type), rowKind, underlying));
            return;
        }

        var op = role switch
        {
            "Sum" => AggregateOp.Sum,
            "Min" => AggregateOp.Min,
            "Max" => AggregateOp.Max,
            "Avg" => AggregateOp.Avg,
            "First" => AggregateOp.First,
            _ => AggregateOp.Last,
        };
        if (op is AggregateOp.First or AggregateOp.Last && inputIsAggregation)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FirstLastOverUpserts, location, role, qualified, input.Name));
            return;
        }
        if (op is AggregateOp.Sum or AggregateOp.Min or AggregateOp.Max or AggregateOp.Avg && !IsNumeric(sourceKind))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AggregateOverNonNumeric, location, role, qualified, sourceQualified, sourceType));
            return;
        }
        bool holds;
        string suggestion;
        if (op == AggregateOp.Avg)
        {
            var accumulator = compilation.GetSpecialType(rowKind == ValueKind.Decimal ? SpecialType.System_Decimal : SpecialType.System_Double);
            holds = rowKind is ValueKind.Single or ValueKind.Double or ValueKind.Decimal && Holds(compilation, source.Type, accumulator);
            suggestion = sourceKind == ValueKind.Decimal ? "decimal" : "double";
        }
        else
        {
            holds = (op is AggregateOp.First or AggregateOp.Last ? source.Type.IsUnmanagedType : IsNumeric(rowKind)) && Holds(compilation, source.Type, m.Type);
            suggestion = $"'{sourceType}' or a wider type";
        }
        if (!holds)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType,
                $"the [{role}] of '{sourceQualified}' ('{sourceType}') without narrowing", suggestion));
            return;
        }
        aggregates.Add(new AggregateModel(op, m.Name, TypeName(m.Type), rowKind, sourceName, op == AggregateOp.Avg ? AvgSumType(sourceKind, rowKind) : string.Empty));
    }

    /// <summary>
    /// The type an average's running sum is kept in: an integer source (one that converts to
    /// <c>long</c>) sums exactly into a <c>long</c>, with Sum's overflow behaviour, and is divided
    /// only when a row is built; a decimal source or row sums into <c>decimal</c>; anything else
    /// (<c>ulong</c>, <c>float</c>, <c>double</c>) into <c>double</c>.
    /// </summary>
    private static string AvgSumType(ValueKind sourceKind, ValueKind rowKind)
    {
        if (IsInteger(sourceKind) && sourceKind != ValueKind.UInt64) return "long";
        return sourceKind == ValueKind.Decimal || rowKind == ValueKind.Decimal ? "decimal" : "double";
    }

    private static SketchModel? ParseSketch(
        string role, AttributeData attribute, Location? location, string qualified, MemberInfo m, ValueKind rowKind, string rowType,
        INamedTypeSymbol input, bool inputIsAggregation, List<MemberInfo> inputMembers, KnownSymbols known, List<DiagnosticInfo> diagnostics)
    {
        var inputName = input.Name;
        if (role == "TopK" && !inputIsAggregation)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SketchInputMismatch, location, role, qualified,
                $"ranks the rows of another aggregation, but its input '{inputName}' is not an [Aggregation]"));
            return null;
        }
        if (role != "TopK" && inputIsAggregation)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SketchInputMismatch, location, role, qualified,
                $"reads events, but the rows of aggregation '{inputName}' arrive as upserts and a sketch cannot take a replaced row back"));
            return null;
        }
        if (role == "DistinctCount")
        {
            var precision = NamedInt(attribute, "Precision") ?? 14;
            if (precision is < 4 or > 18)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SketchSizeOutOfRange, location, role, qualified, "Precision", precision.ToString(System.Globalization.CultureInfo.InvariantCulture), "from 4 to 18"));
                return null;
            }
            var sourceName = StringArgument(attribute, 0) ?? m.Name;
            if (!TryFindMember(inputMembers, sourceName, out var source))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberNotFound, location, inputName, sourceName, role, qualified));
                return null;
            }
            var kind = KindOf(source.Type, known, out _);
            if (kind is not (ValueKind.Boolean or ValueKind.Char or ValueKind.Enum or ValueKind.DateTime or ValueKind.DateTimeOffset) && !IsInteger(kind))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DistinctCountNotHashable, location, qualified, inputName + "." + sourceName, ShortTypeName(source.Type)));
                return null;
            }
            if (rowKind != ValueKind.Int64)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType, "a [DistinctCount] (a 64-bit estimate)", "long"));
                return null;
            }
            return new SketchModel(AggregateOp.DistinctCount, m.Name, sourceName, kind, precision, 0, string.Empty, string.Empty, string.Empty);
        }
        var size = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is int n ? n : 0;
        if (size <= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SketchSizeOutOfRange, location, role, qualified, role == "Sample" ? "the capacity" : "k",
                size.ToString(System.Globalization.CultureInfo.InvariantCulture), "at least 1"));
            return null;
        }
        if (role == "Sample")
        {
            var expected = known.Reservoir?.Construct(input);
            if (expected is null || !SymbolEqualityComparer.Default.Equals(m.Type, expected))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType, $"a [Sample] of '{inputName}' events", $"Kernel.Sketches.Reservoir<{inputName}>"));
                return null;
            }
            var seed = NamedLong(attribute, "Seed") ?? 0;
            return new SketchModel(AggregateOp.Sample, m.Name, string.Empty, ValueKind.Unsupported, size, seed, string.Empty, string.Empty, string.Empty);
        }
        var by = NamedString(attribute, "By") ?? string.Empty;
        if (!TryFindMember(inputMembers, by, out var byMember))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberNotFound, location, inputName, by, role, qualified));
            return null;
        }
        if (!IsNumeric(KindOf(byMember.Type, known, out _)))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TopKByNonNumeric, location, qualified, inputName + "." + by, ShortTypeName(byMember.Type), inputName));
            return null;
        }
        MemberInfo? upstreamKey = null;
        var upstreamKeys = 0;
        foreach (var member in inputMembers)
        {
            if (!HasAttribute(member.Symbol, known.Key)) continue;
            upstreamKeys++;
            upstreamKey = member;
        }
        if (upstreamKeys != 1 || upstreamKey is not { } key || !IsInteger(KindOf(key.Type, known, out _)))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SketchInputMismatch, location, role, qualified,
                $"ranks the keys of '{inputName}', which needs exactly one [Key] member of an integer type"));
            return null;
        }
        var board = known.Leaderboard?.Construct(key.Type, byMember.Type);
        if (board is null || !SymbolEqualityComparer.Default.Equals(m.Type, board))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType,
                $"a [TopK] of '{inputName}' by '{by}'", $"Kernel.Sketches.Leaderboard<{ShortTypeName(key.Type)}, {ShortTypeName(byMember.Type)}>"));
            return null;
        }
        return new SketchModel(AggregateOp.TopK, m.Name, by, KindOf(byMember.Type, known, out _), size, 0, TypeName(key.Type), key.Name, TypeName(byMember.Type));
    }

    private static string SketchSource(SketchModel k) => k.Op switch
    {
        AggregateOp.DistinctCount => k.SourceMember + " p" + k.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AggregateOp.Sample => "k" + k.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => k.SourceMember + " k" + k.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static int? NamedInt(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
        {
            if (pair.Key == name && pair.Value.Value is int value) return value;
        }
        return null;
    }

    private static long? NamedLong(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
        {
            if (pair.Key == name && pair.Value.Value is long value) return value;
        }
        return null;
    }

    /// <summary>
    /// What identifies a row of an upstream aggregation: its <c>[Key]</c> members and its
    /// <c>[WindowStart]</c>, in declaration order. Rows with equal identities revise one another.
    /// Members of types the upstream cannot key by are its own diagnostics, so they are skipped here.
    /// </summary>
    private static List<KeyPartModel> UpstreamIdentity(List<MemberInfo> inputMembers, KnownSymbols known)
    {
        var parts = new List<KeyPartModel>();
        foreach (var m in inputMembers)
        {
            if (!HasAttribute(m.Symbol, known.Key) && !HasAttribute(m.Symbol, known.WindowStart)) continue;
            var kind = KindOf(m.Type, known, out var underlying);
            if (kind is not (ValueKind.Boolean or ValueKind.Char or ValueKind.Enum) && !IsInteger(kind)) continue;
            parts.Add(new KeyPartModel(m.Name, m.Name, TypeName(m.Type), kind, underlying));
        }
        return parts;
    }

    /// <summary>Whether a value of <paramref name="source"/> converts to <paramref name="destination"/> without a cast (identity or implicit numeric).</summary>
    private static bool Holds(Compilation compilation, ITypeSymbol source, ITypeSymbol destination)
    {
        var conversion = compilation.ClassifyCommonConversion(source, destination);
        return conversion.IsIdentity || (conversion.IsImplicit && conversion.IsNumeric);
    }

    private static List<StateFieldModel> StateLayout(List<AggregateModel> aggregates)
    {
        // Every aggregate of a declaration folds the same (filtered) events, so an average divides by
        // the declaration's [Count] when it has one instead of keeping a count of its own.
        var sharedCount = aggregates.Exists(a => a.Op == AggregateOp.Count);
        var fields = new List<StateFieldModel>();
        foreach (var a in aggregates)
        {
            switch (a.Op)
            {
                case AggregateOp.Sum: fields.Add(new(a.RowMember, a.RowTypeName, "Sum", a.SourceMember)); break;
                case AggregateOp.Count: fields.Add(new(a.RowMember, "long", "Count", string.Empty)); break;
                case AggregateOp.Min: fields.Add(new(a.RowMember, a.RowTypeName, "Min", a.SourceMember)); break;
                case AggregateOp.Max: fields.Add(new(a.RowMember, a.RowTypeName, "Max", a.SourceMember)); break;
                case AggregateOp.Avg:
                    fields.Add(new(a.RowMember + "_Sum", a.AvgSumTypeName, "AvgSum", a.SourceMember));
                    if (!sharedCount) fields.Add(new(a.RowMember + "_Count", "long", "AvgCount", string.Empty));
                    break;
                case AggregateOp.First:
                    fields.Add(new(a.RowMember, a.RowTypeName, "First", a.SourceMember));
                    fields.Add(new(a.RowMember + "_Time", "long", "FirstTime", string.Empty));
                    break;
                case AggregateOp.Last:
                    fields.Add(new(a.RowMember, a.RowTypeName, "Last", a.SourceMember));
                    fields.Add(new(a.RowMember + "_Time", "long", "LastTime", string.Empty));
                    break;
            }
        }
        return fields;
    }

    /// <summary>
    /// The state ordered hot first: every field <c>Update</c> reads or writes per event, then the values of
    /// <c>[First]</c> (written only when an earlier event time arrives, never read by <c>Update</c>), so that a
    /// direct state table can lay the hot prefix on one cache line (<c>Spec.StateHotBytes</c>,
    /// docs/state-and-memory.md). The order is part of the layout fingerprint.
    /// </summary>
    private static List<StateFieldModel> HotFirst(List<StateFieldModel> fields)
    {
        var ordered = fields.FindAll(f => f.Kind != "First");
        ordered.AddRange(fields.FindAll(f => f.Kind == "First"));
        return ordered;
    }

    /// <summary>FNV-1a (64-bit) over the canonical text of the key and state layouts; stable across builds and machines.</summary>
    internal static ulong Fingerprint(List<StateFieldModel> keyFields, List<StateFieldModel> stateFields)
    {
        var text = new StringBuilder("kernel-state/1\n");
        foreach (var f in keyFields) text.Append("key ").Append(f.Name).Append(' ').Append(f.TypeName).Append(' ').Append(f.Source).Append('\n');
        foreach (var f in stateFields) text.Append("state ").Append(f.Name).Append(' ').Append(f.TypeName).Append(' ').Append(f.Kind).Append(' ').Append(f.Source).Append('\n');
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text.ToString()))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
