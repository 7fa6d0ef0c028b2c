using System.Collections.Generic;
using System.Threading;
using Kernel.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Kernel.Generators;

internal static partial class Parser
{
    private static readonly string[] s_emitModes = { "Final", "OnWindowClose", "Periodic", "EveryUpdate" };

    /// <summary>
    /// Reads the window, watermark, lateness and emit attributes; durations are parsed here, at build time.
    /// <paramref name="missingTimeReported"/> is true when the input's missing <c>[WindowStart]</c> is reported already (KRN0029).
    /// </summary>
    private static WindowModel ParseWindow(
        INamedTypeSymbol type, KnownSymbols known, EventTimeModel? eventTime, string inputName, bool inputIsAggregation,
        bool missingTimeReported, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var kind = "None";
        long size = 0, slide = 0, offset = 0, gap = 0, outOfOrder = 0, idle = 0, lateness = 0, interval = 0;
        var emit = "Final";
        AttributeData? window = null;
        var windowName = string.Empty;
        // The window settings declared, for KRN0030 when no window comes to use them.
        List<(Location? Location, string Name)>? settings = null;
        foreach (var a in type.GetAttributes())
        {
            var location = LocationOf(a, type, ct);
            string name;
            if (KnownSymbols.Is(a, known.TumblingWindow)) name = "TumblingWindow";
            else if (KnownSymbols.Is(a, known.SlidingWindow)) name = "SlidingWindow";
            else if (KnownSymbols.Is(a, known.SessionWindow)) name = "SessionWindow";
            else if (KnownSymbols.Is(a, known.Watermark))
            {
                (settings ??= []).Add((location, "Watermark"));
                Duration(NamedString(a, "MaxOutOfOrderness"), "Watermark MaxOutOfOrderness", false, false, type, location, diagnostics, out outOfOrder);
                Duration(NamedString(a, "IdleTimeout"), "Watermark IdleTimeout", false, false, type, location, diagnostics, out idle);
                continue;
            }
            else if (KnownSymbols.Is(a, known.AllowedLateness))
            {
                (settings ??= []).Add((location, "AllowedLateness"));
                Duration(StringArgument(a, 0), "AllowedLateness", true, false, type, location, diagnostics, out lateness);
                continue;
            }
            else if (KnownSymbols.Is(a, known.Emit))
            {
                (settings ??= []).Add((location, "Emit"));
                var mode = a.ConstructorArguments.Length > 0 && a.ConstructorArguments[0].Value is int m ? m : 0;
                emit = mode >= 0 && mode < s_emitModes.Length ? s_emitModes[mode] : "Final";
                Duration(NamedString(a, "Interval"), "Emit Interval", emit == "Periodic", emit == "Periodic", type, location, diagnostics, out interval);
                continue;
            }
            else continue;

            if (window is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MultipleWindows, location, type.Name, windowName, name));
                continue;
            }
            window = a;
            windowName = name;
            switch (name)
            {
                case "TumblingWindow":
                    kind = "Tumbling";
                    Duration(StringArgument(a, 0), "TumblingWindow size", true, true, type, location, diagnostics, out size);
                    Duration(NamedString(a, "Offset"), "TumblingWindow Offset", false, false, type, location, diagnostics, out offset);
                    slide = size;
                    break;
                case "SlidingWindow":
                    kind = "Sliding";
                    var okSize = Duration(StringArgument(a, 0), "SlidingWindow size", true, true, type, location, diagnostics, out size);
                    var okSlide = Duration(NamedString(a, "Slide"), "SlidingWindow Slide", true, true, type, location, diagnostics, out slide);
                    Duration(NamedString(a, "Offset"), "SlidingWindow Offset", false, false, type, location, diagnostics, out offset);
                    if (okSize && okSlide && (slide > size || size % slide != 0))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadDuration, location, "SlidingWindow", type.Name,
                            $"the size '{DurationText.Format(size)}' must be a multiple of the slide '{DurationText.Format(slide)}'"));
                    }
                    break;
                default:
                    kind = "Session";
                    Duration(NamedString(a, "Gap"), "SessionWindow Gap", true, true, type, location, diagnostics, out gap);
                    break;
            }
        }
        if (window is null && settings is not null)
        {
            foreach (var (settingLocation, settingName) in settings)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowSettingWithoutWindow, settingLocation, type.Name, settingName));
        }
        if (window is not null && eventTime is null && !missingTimeReported)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowWithoutEventTime, LocationOf(window, type, ct),
                type.Name, kind.ToLowerInvariant(), inputName, inputIsAggregation ? "[WindowStart]" : "[EventTime]"));
        }
        return new WindowModel(kind, size, slide, offset, gap, outOfOrder, idle, lateness, emit, interval);
    }

    /// <summary>
    /// Reports KRN0027 when a windowed aggregation reads the rows of an aggregation that declares an emit
    /// mode other than Final: the window adds each row it receives, so revisions of one upstream row
    /// (OnWindowClose, Periodic, EveryUpdate) would be counted once each. Final rows come once per (key,
    /// window). An unwindowed input has no [WindowStart] and is refused by KRN0013 already; a session
    /// input that revises, by KRN0028.
    /// </summary>
    private static void CheckWindowOverRevisions(
        INamedTypeSymbol type, INamedTypeSymbol input, KnownSymbols known, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var emit = DeclaredEmit(input, known);
        // A session upstream that revises is refused for every downstream, windowed or not (KRN0028).
        if (emit == "Final" || DeclaredWindow(input, known) == "session") return;
        foreach (var a in type.GetAttributes())
        {
            if (!KnownSymbols.Is(a, known.TumblingWindow) && !KnownSymbols.Is(a, known.SlidingWindow) && !KnownSymbols.Is(a, known.SessionWindow)) continue;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowOverRevisions, LocationOf(a, type, ct), type.Name, ShortTypeName(input), emit));
            return;
        }
    }

    /// <summary>Parses one duration argument, reporting KRN0012 when it is missing (and required), malformed or zero (and must be positive).</summary>
    private static bool Duration(
        string? text, string what, bool required, bool positive, INamedTypeSymbol type, Location? location,
        List<DiagnosticInfo> diagnostics, out long milliseconds)
    {
        milliseconds = 0;
        if (text is null)
        {
            if (!required) return true;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadDuration, location, what, type.Name,
                "a duration is required; write a number and a unit such as 500ms, 10s, 5m, 1h or 1d"));
            return false;
        }
        if (!DurationText.TryParse(text, out milliseconds, out var error))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadDuration, location, what, type.Name, error));
            return false;
        }
        if (positive && milliseconds == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadDuration, location, what, type.Name, $"'{text}' must be greater than zero"));
            return false;
        }
        return true;
    }
}
