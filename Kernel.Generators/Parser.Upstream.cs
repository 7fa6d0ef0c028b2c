using System.Collections.Generic;
using Kernel.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Kernel.Generators;

internal static partial class Parser
{
    /// <summary>
    /// Checks that the rows of an upstream aggregation keep one identity per result, which taking them
    /// as upserts (or adding them in a window) relies on. Reports, on the downstream's <c>[Aggregation]</c>:
    /// <list type="bullet">
    /// <item>KRN0028 when the upstream is a session window that emits anything but Final: a session's start
    /// moves when an earlier event extends it or two sessions merge, so its row comes again under a new
    /// identity and the row under the old one is never retracted. Final emits a session once, complete.</item>
    /// <item>KRN0029 when the upstream is windowed but has no <c>[WindowStart]</c>: the identity is then its
    /// keys alone (<see cref="UpstreamIdentity"/>), so each window's row replaces the previous window's.</item>
    /// </list>
    /// Returns whether KRN0029 was reported, so that KRN0013 does not report the same missing member again.
    /// </summary>
    private static bool CheckUpstreamRows(
        INamedTypeSymbol type, INamedTypeSymbol input, KnownSymbols known, Location? attributeLocation,
        List<DiagnosticInfo> diagnostics)
    {
        var window = DeclaredWindow(input, known);
        if (window.Length == 0) return false;
        var emit = DeclaredEmit(input, known);
        if (window == "session" && emit != "Final")
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SessionRowsRevised, attributeLocation, type.Name, ShortTypeName(input), emit));
        }
        foreach (var m in InstanceMembers(input))
        {
            if (HasAttribute(m.Symbol, known.WindowStart)) return false;
        }
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UpstreamWithoutWindowStart, attributeLocation, type.Name, ShortTypeName(input), window));
        return true;
    }

    /// <summary>The window an aggregation declares (<c>tumbling</c>, <c>sliding</c> or <c>session</c>), or empty when it has none.</summary>
    private static string DeclaredWindow(INamedTypeSymbol type, KnownSymbols known)
    {
        foreach (var a in type.GetAttributes())
        {
            if (KnownSymbols.Is(a, known.TumblingWindow)) return "tumbling";
            if (KnownSymbols.Is(a, known.SlidingWindow)) return "sliding";
            if (KnownSymbols.Is(a, known.SessionWindow)) return "session";
        }
        return string.Empty;
    }

    /// <summary>The emit mode an aggregation declares with <c>[Emit]</c> (the last one wins, as in <see cref="ParseWindow"/>); Final when it declares none.</summary>
    private static string DeclaredEmit(INamedTypeSymbol type, KnownSymbols known)
    {
        var emit = "Final";
        foreach (var a in type.GetAttributes())
        {
            if (!KnownSymbols.Is(a, known.Emit)) continue;
            var mode = a.ConstructorArguments.Length > 0 && a.ConstructorArguments[0].Value is int m ? m : 0;
            emit = mode >= 0 && mode < s_emitModes.Length ? s_emitModes[mode] : "Final";
        }
        return emit;
    }
}
