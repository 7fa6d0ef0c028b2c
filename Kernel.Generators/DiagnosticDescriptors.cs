using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Kernel.Generators;

/// <summary>Every diagnostic the generator reports (KRN0001…); each has a row in docs/diagnostics.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Kernel";

    public static readonly DiagnosticDescriptor TypeNotPartial = Error(
        "KRN0001", "Type must be partial",
        "'{0}' must be declared partial: the generator adds {1} to it");

    public static readonly DiagnosticDescriptor EventNotUnmanaged = Error(
        "KRN0002", "Event type must be unmanaged",
        "Event type '{0}' must be an unmanaged struct: events live in ring slots and are journaled as raw bytes, but {1}");

    public static readonly DiagnosticDescriptor MemberNotFound = Error(
        "KRN0003", "Member not found on the input",
        "'{0}' has no field or property named '{1}' (named by [{2}] on '{3}')");

    public static readonly DiagnosticDescriptor AggregateOverNonNumeric = Error(
        "KRN0004", "Aggregate over a non-numeric member",
        "[{0}] on '{1}' needs a numeric input member, but '{2}' is '{3}'");

    public static readonly DiagnosticDescriptor OutputCannotHold = Error(
        "KRN0005", "Output member cannot hold the aggregate",
        "'{0}' of type '{1}' cannot hold {2}; use {3}");

    public static readonly DiagnosticDescriptor DuplicateKey = Error(
        "KRN0006", "Duplicate key",
        "'{0}' repeats the key '{1}' already taken by '{2}'");

    public static readonly DiagnosticDescriptor UnsupportedKeyType = Error(
        "KRN0007", "Unsupported key type",
        "Key '{0}' has type '{1}', which cannot be a key; use an integer, bool, char or enum type");

    public static readonly DiagnosticDescriptor WhereNotBool = Error(
        "KRN0008", "[Where] member is not bool",
        "[Where] on '{0}' names '{1}' of type '{2}'; it must be a bool field or property");

    public static readonly DiagnosticDescriptor InputNotEventOrAggregation = Error(
        "KRN0009", "Input is neither a [StreamEvent] nor an [Aggregation]",
        "The input of aggregation '{0}' is '{1}', which is neither a [StreamEvent] nor an [Aggregation]");

    public static readonly DiagnosticDescriptor AggregationCycle = Error(
        "KRN0010", "Cycle between aggregations",
        "Aggregation '{0}' is part of a cycle: {1}");

    public static readonly DiagnosticDescriptor MultipleEventTimes = Error(
        "KRN0011", "More than one [EventTime]",
        "'{0}' has more than one [EventTime] member ('{1}' and '{2}')");

    public static readonly DiagnosticDescriptor BadDuration = Error(
        "KRN0012", "Bad duration",
        "{0} on '{1}': {2}");

    public static readonly DiagnosticDescriptor WindowWithoutEventTime = Error(
        "KRN0013", "Window over an input without event time",
        "'{0}' declares a {1} window, but its input '{2}' has no {3} member");

    public static readonly DiagnosticDescriptor EventTimeType = Error(
        "KRN0014", "[EventTime] member of an unsupported type",
        "[EventTime] member '{0}' has type '{1}'; use long (Unix milliseconds), DateTime or DateTimeOffset");

    public static readonly DiagnosticDescriptor WindowBoundType = Error(
        "KRN0015", "Window bound member is not long",
        "[{0}] member '{1}' has type '{2}'; window bounds are long Unix milliseconds");

    public static readonly DiagnosticDescriptor NotTopLevelStruct = Error(
        "KRN0016", "Declaration must be a top-level, non-generic struct",
        "'{0}' must be a non-generic struct declared directly in a namespace to carry [{1}]");

    public static readonly DiagnosticDescriptor ConflictingMemberAttributes = Error(
        "KRN0017", "Member has conflicting attributes",
        "'{0}' carries both [{1}] and [{2}]; a row member is one key, one aggregate or one window bound");

    public static readonly DiagnosticDescriptor MultipleWindows = Error(
        "KRN0018", "More than one window",
        "'{0}' declares more than one window ([{1}] and [{2}])");

    public static readonly DiagnosticDescriptor RowMemberNotWritable = Error(
        "KRN0019", "Row member is read-only",
        "'{0}' is read-only; the generated ToRow must assign it (make it a field or give it a setter)");

    public static readonly DiagnosticDescriptor ColumnTypeNotSupported = new(
        "KRN0020", "Member skipped by the CSV/JSON codecs",
        "'{0}' of type '{1}' is not read or written by the CSV/JSON codecs (supported: integers, float, double, decimal, bool, enums, DateTime, DateTimeOffset)",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NameTakenByGeneratedType = Error(
        "KRN0021", "Member named like a generated nested type or method",
        "'{0}' has the name of the {1} the generator adds; rename the member");

    public static readonly DiagnosticDescriptor FirstLastOverUpserts = Error(
        "KRN0022", "[First]/[Last] over another aggregation's rows",
        "[{0}] on '{1}' cannot read the rows of aggregation '{2}': they arrive as upserts, and a replaced row's first or last value cannot be taken back; aggregate the events directly, or use [Min]/[Max]");

    public static readonly DiagnosticDescriptor SketchSizeOutOfRange = Error(
        "KRN0023", "Sketch size out of range",
        "[{0}] on '{1}': {2} is {3}; it must be {4}");

    public static readonly DiagnosticDescriptor DistinctCountNotHashable = Error(
        "KRN0024", "[DistinctCount] over a member that cannot be hashed",
        "[DistinctCount] on '{0}' needs a member it can hash (an integer, bool, char, enum, DateTime or DateTimeOffset), but '{1}' is '{2}'");

    public static readonly DiagnosticDescriptor TopKByNonNumeric = Error(
        "KRN0025", "[TopK] ranks by a non-numeric member",
        "[TopK] on '{0}' ranks by '{1}' of type '{2}'; By must name a numeric member of '{3}'");

    public static readonly DiagnosticDescriptor SketchInputMismatch = Error(
        "KRN0026", "Sketch over the wrong kind of input",
        "[{0}] on '{1}' {2}");

    public static readonly DiagnosticDescriptor WindowOverRevisions = Error(
        "KRN0027", "Window over another aggregation's revised rows",
        "'{0}' windows the rows of aggregation '{1}', which emits {2}: a windowed aggregation adds every row it receives, so each revision of an upstream row would be counted again; emit Final upstream, or aggregate its rows without a window (upserts replace each other)");

    public static readonly DiagnosticDescriptor SessionRowsRevised = Error(
        "KRN0028", "Aggregation over a session window's revised rows",
        "'{0}' reads the rows of aggregation '{1}', a session window that emits {2}: a session's start moves when an earlier event extends it or two sessions merge, so its row comes again under a new [WindowStart] and the row under the old one is never taken back, which '{0}' would count twice; emit Final from '{1}' (one row per session, when it is complete)");

    public static readonly DiagnosticDescriptor UpstreamWithoutWindowStart = Error(
        "KRN0029", "Windowed aggregation read by another without [WindowStart]",
        "'{0}' reads the rows of aggregation '{1}', which declares a {2} window but no [WindowStart] member: an upstream row is identified by its [Key] members and [WindowStart], and a window over upstream rows takes its time from [WindowStart], so each window's row would replace the previous window's, or have no time to fall in; add a [WindowStart] long member to '{1}'");

    public static readonly DiagnosticDescriptor WindowSettingWithoutWindow = new(
        "KRN0030", "Window setting on an aggregation without a window",
        "'{0}' declares [{1}] but no window, so it has no effect (a running keyed aggregate has no watermark, lateness or emit mode); add [TumblingWindow], [SlidingWindow] or [SessionWindow], or remove [{1}]",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = Index(
        TypeNotPartial, EventNotUnmanaged, MemberNotFound, AggregateOverNonNumeric, OutputCannotHold,
        DuplicateKey, UnsupportedKeyType, WhereNotBool, InputNotEventOrAggregation, AggregationCycle,
        MultipleEventTimes, BadDuration, WindowWithoutEventTime, EventTimeType, WindowBoundType,
        NotTopLevelStruct, ConflictingMemberAttributes, MultipleWindows, RowMemberNotWritable,
        ColumnTypeNotSupported, NameTakenByGeneratedType, FirstLastOverUpserts,
        SketchSizeOutOfRange, DistinctCountNotHashable, TopKByNonNumeric, SketchInputMismatch, WindowOverRevisions,
        SessionRowsRevised, UpstreamWithoutWindowStart, WindowSettingWithoutWindow);

    /// <summary>All descriptors, by id (models carry ids, not descriptors).</summary>
    public static IReadOnlyCollection<DiagnosticDescriptor> All => s_byId.Values;

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static Dictionary<string, DiagnosticDescriptor> Index(params DiagnosticDescriptor[] descriptors)
    {
        var map = new Dictionary<string, DiagnosticDescriptor>(System.StringComparer.Ordinal);
        foreach (var d in descriptors) map.Add(d.Id, d);
        return map;
    }
}
