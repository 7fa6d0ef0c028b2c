using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Kernel.Tests.Generators;

/// <summary>
/// The rules on an aggregation read by another: its rows must keep one identity per result (KRN0028
/// for a session that revises, KRN0029 for a window without <c>[WindowStart]</c>), and each mistake is
/// reported once, not again as KRN0027 or KRN0013.
/// </summary>
public sealed partial class DiagnosticTests
{
    private const string SessionMessage =
        "'Total' reads the rows of aggregation 'Visits', a session window that emits {0}: a session's start moves when an earlier event extends it or two sessions merge, "
        + "so its row comes again under a new [WindowStart] and the row under the old one is never taken back, which 'Total' would count twice; "
        + "emit Final from 'Visits' (one row per session, when it is complete)";

    /// <summary>The review's case: sessions of 10 ms emitted on every update, 1 s out of order; orders at 100 then 95 ms read 3 downstream instead of 2.</summary>
    private static string Sessions(string emit, string downstreamWindow = "")
        => "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\n[SessionWindow(Gap = \"10ms\")]\n" + emit + "\n[Watermark(MaxOutOfOrderness = \"1s\")]\n"
            + "public partial struct Visits { [Key] public long ProductId; [WindowStart] public long Start; [Count] public long Orders; }\n"
            + "[[|Aggregation(typeof(Visits))|]]\n" + downstreamWindow
            + "public partial struct Total { [Sum(nameof(Visits.Orders))] public long Orders; }\n";

    [Theory]
    [InlineData("[Emit(EmitMode.EveryUpdate)]", "EveryUpdate")]
    [InlineData("[Emit(EmitMode.OnWindowClose)]", "OnWindowClose")]
    [InlineData("[Emit(EmitMode.Periodic, Interval = \"1s\")]", "Periodic")]
    public void KRN0028_UpsertsOverASessionThatRevises(string emit, string mode)
        => AssertDiagnostic("KRN0028", Sessions(emit), string.Format(CultureInfo.InvariantCulture, SessionMessage, mode));

    [Fact]
    public void KRN0028_WindowOverASessionThatRevises_IsReportedInsteadOfKRN0027()
        => AssertDiagnostic("KRN0028", Sessions("[Emit(EmitMode.EveryUpdate)]", "[TumblingWindow(\"1h\")]\n"),
            string.Format(CultureInfo.InvariantCulture, SessionMessage, "EveryUpdate"));

    [Theory]
    [InlineData("")]
    [InlineData("[Emit(EmitMode.Final)]")]
    public void SessionEmittingFinal_IsAcceptedAsInput(string emit)
    {
        var run = GeneratorHarness.RunGenerator(MarkedSource.Parse(Sessions(emit)).Text, Events);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.DoesNotContain(run.CompilerDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void KRN0027_TumblingUpstreamThatRevises_IsStillKRN0027()
    {
        // Only a session upstream moves to KRN0028: a tumbling one's rows keep their identity.
        var run = GeneratorHarness.RunGenerator(
            "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\n[TumblingWindow(\"1d\")]\n[Emit(EmitMode.EveryUpdate)]\n"
            + "public partial struct Daily { [Key] public long ProductId; [WindowStart] public long Day; [Count] public long Orders; }\n"
            + "[Aggregation(typeof(Daily))]\n[TumblingWindow(\"7d\")]\npublic partial struct Weekly { [Sum(nameof(Daily.Orders))] public long Orders; }\n",
            Events);
        Assert.Equal("KRN0027", Assert.Single(run.GeneratorDiagnostics).Id);
    }

    /// <summary>The review's case: day 1's row replaced day 0's downstream (1 where 2 was expected).</summary>
    [Fact]
    public void KRN0029_TumblingUpstreamWithoutWindowStart()
        => AssertDiagnostic("KRN0029",
            "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\n[TumblingWindow(\"1d\")]\n"
            + "public partial struct Daily { [Key] public long ProductId; [Count] public long Orders; }\n"
            + "[[|Aggregation(typeof(Daily))|]]\npublic partial struct Total { [Sum(nameof(Daily.Orders))] public long Orders; }\n",
            "'Total' reads the rows of aggregation 'Daily', which declares a tumbling window but no [WindowStart] member: an upstream row is identified by its [Key] members and [WindowStart], "
            + "and a window over upstream rows takes its time from [WindowStart], so each window's row would replace the previous window's, or have no time to fall in; add a [WindowStart] long member to 'Daily'");

    [Fact]
    public void KRN0029_WindowEndAloneIsNotAnIdentity()
        => AssertDiagnostic("KRN0029",
            "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\n[SlidingWindow(\"1h\", Slide = \"10m\")]\n"
            + "public partial struct Hourly { [Key] public long ProductId; [WindowEnd] public long End; [Count] public long Orders; }\n"
            + "[[|Aggregation(typeof(Hourly))|]]\npublic partial struct Total { [Key(nameof(Hourly.ProductId))] public long ProductId; [Sum(nameof(Hourly.Orders))] public long Orders; }\n",
            "'Total' reads the rows of aggregation 'Hourly', which declares a sliding window but no [WindowStart] member: an upstream row is identified by its [Key] members and [WindowStart], "
            + "and a window over upstream rows takes its time from [WindowStart], so each window's row would replace the previous window's, or have no time to fall in; add a [WindowStart] long member to 'Hourly'");

    [Fact]
    public void KRN0029_WindowedDownstream_IsReportedInsteadOfKRN0013()
        => AssertDiagnostic("KRN0029",
            "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\n[SessionWindow(Gap = \"5m\")]\n"
            + "public partial struct Visits { [Key] public long ProductId; [Count] public long Orders; }\n"
            + "[[|Aggregation(typeof(Visits))|]]\n[TumblingWindow(\"1d\")]\npublic partial struct Total { [Sum(nameof(Visits.Orders))] public long Orders; }\n",
            "'Total' reads the rows of aggregation 'Visits', which declares a session window but no [WindowStart] member: an upstream row is identified by its [Key] members and [WindowStart], "
            + "and a window over upstream rows takes its time from [WindowStart], so each window's row would replace the previous window's, or have no time to fall in; add a [WindowStart] long member to 'Visits'");

    [Fact]
    public void SessionThatRevisesWithoutWindowStart_ReportsBothMistakes()
    {
        var marked = MarkedSource.Parse(Sessions("[Emit(EmitMode.EveryUpdate)]").Replace("[WindowStart] public long Start; ", string.Empty, StringComparison.Ordinal));
        var run = GeneratorHarness.RunGenerator(marked.Text, Events);
        Assert.Equal(new[] { "KRN0028", "KRN0029" }, run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal(marked.Span, d.Location.SourceSpan));
    }
}
