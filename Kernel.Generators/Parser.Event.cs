using System.Collections.Generic;
using System.Threading;
using Kernel.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Kernel.Generators;

internal static partial class Parser
{
    /// <summary>Parses one <c>[StreamEvent]</c> declaration.</summary>
    public static EventResult ParseEvent(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var known = new KnownSymbols(context.SemanticModel.Compilation);
        var attribute = context.Attributes[0];
        var diagnostics = new List<DiagnosticInfo>();
        var typeRef = CheckDeclaration(type, attribute, "StreamEvent", "the Csv and JsonLines codecs", diagnostics, ct);

        var reason = UnmanagedViolation(type);
        if (reason is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EventNotUnmanaged, LocationOf(attribute, type, ct), type.Name, reason));
        }

        var members = InstanceMembers(type);
        CheckEventTime(type, members, known, diagnostics, ct);
        CheckGeneratedNames(type, members, new List<string> { "Csv", "JsonLines" }, diagnostics);

        CodecModel? codec = null;
        if (typeRef is not null && reason is null)
        {
            codec = BuildCodec(typeRef, members, known, sourceParsers: true, diagnostics);
        }
        return new EventResult(HasErrors(diagnostics) ? null : codec, EquatableArray.From(diagnostics));
    }

    private static bool HasErrors(List<DiagnosticInfo> diagnostics)
    {
        foreach (var d in diagnostics)
        {
            if (DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error) return true;
        }
        return false;
    }

    /// <summary>Reports members named like the nested types the generator adds (KRN0021): the clash would otherwise be a confusing CS0102.</summary>
    private static void CheckGeneratedNames(INamedTypeSymbol type, List<MemberInfo> members, List<string> generated, List<DiagnosticInfo> diagnostics)
    {
        foreach (var m in members)
        {
            if (!generated.Contains(m.Name)) continue;
            var location = m.Symbol.Locations.Length > 0 ? m.Symbol.Locations[0] : null;
            var what = m.Name == "CreateOperator" ? "method 'CreateOperator'" : "nested type '" + m.Name + "'";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameTakenByGeneratedType, location, type.Name + "." + m.Name, what));
        }
    }

    /// <summary>Why a type is not unmanaged (null when it is): names the first offending field.</summary>
    private static string? UnmanagedViolation(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Struct) return "it is a " + (type.IsRecord ? "record class" : "class");
        if (type.IsUnmanagedType) return null;
        foreach (var member in type.GetMembers())
        {
            if (member is IFieldSymbol { IsStatic: false } field && !field.Type.IsUnmanagedType)
            {
                var name = field.AssociatedSymbol?.Name ?? field.Name;
                return $"'{name}' of type '{ShortTypeName(field.Type)}' is a reference or contains one";
            }
        }
        return "it is not unmanaged";
    }

    /// <summary>Reports more than one <c>[EventTime]</c> (KRN0011) and unsupported types (KRN0014).</summary>
    private static void CheckEventTime(INamedTypeSymbol type, List<MemberInfo> members, KnownSymbols known, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        string? first = null;
        foreach (var m in members)
        {
            var attribute = FindAttribute(m.Symbol, known.EventTime);
            if (attribute is null) continue;
            var location = LocationOf(attribute, m.Symbol, ct);
            if (first is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MultipleEventTimes, location, type.Name, first, m.Name));
                continue;
            }
            first = m.Name;
            var kind = KindOf(m.Type, known, out _);
            if (kind is not (ValueKind.Int64 or ValueKind.DateTime or ValueKind.DateTimeOffset))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EventTimeType, location, type.Name + "." + m.Name, ShortTypeName(m.Type)));
            }
        }
    }

    /// <summary>The event time of an input: its first valid <c>[EventTime]</c> member, or an aggregation's <c>[WindowStart]</c>.</summary>
    private static EventTimeModel? FindEventTime(INamedTypeSymbol input, bool inputIsAggregation, KnownSymbols known)
    {
        foreach (var m in InstanceMembers(input))
        {
            if (!m.Readable) continue;
            var marker = inputIsAggregation ? known.WindowStart : known.EventTime;
            if (!HasAttribute(m.Symbol, marker)) continue;
            var kind = KindOf(m.Type, known, out _);
            if (kind is ValueKind.Int64 or ValueKind.DateTime or ValueKind.DateTimeOffset) return new EventTimeModel(m.Name, kind);
        }
        return null;
    }
}
