using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Kernel.Tests.Generators;

/// <summary>One test per diagnostic id: the source in, the diagnostic out (id, span, message).</summary>
public sealed partial class DiagnosticTests
{
    private const string Events = """
        using System;
        using Kernel;

        namespace App;

        [StreamEvent]
        public partial struct Order
        {
            public long OrderId;
            public long ProductId;
            public long PriceCents;
            public int Quantity;
            public bool Express;
            [EventTime] public long TimestampMs;
            public readonly long RevenueCents => PriceCents * Quantity;
            public readonly bool IsPaid => PriceCents > 0;
        }

        [StreamEvent]
        public partial struct Click
        {
            public long UserId;
        }

        public struct NotAnEvent
        {
            public long A;
        }
        """;

    private static Diagnostic Single(string markedSource, out MarkedSource marked)
    {
        marked = MarkedSource.Parse(markedSource);
        var run = GeneratorHarness.RunGenerator(marked.Text, Events);
        var found = run.GeneratorDiagnostics;
        Assert.True(found.Length == 1, "expected one diagnostic, got: " + string.Join(" | ", found));
        return found[0];
    }

    private static void AssertDiagnostic(string id, string markedSource, string message, DiagnosticSeverity severity = DiagnosticSeverity.Error)
    {
        var d = Single(markedSource, out var marked);
        Assert.Equal(id, d.Id);
        Assert.Equal(severity, d.Severity);
        Assert.Equal("Source0.cs", d.Location.GetLineSpan().Path);
        Assert.Equal(marked.Span, d.Location.SourceSpan);
        Assert.Equal(message, d.GetMessage(CultureInfo.InvariantCulture));
    }

    private static string Aggregation(string members, string attributes = "", string input = "Order")
        => "using System;\nusing Kernel;\n\nnamespace App;\n\n"
            + (attributes.Contains("Aggregation(", StringComparison.Ordinal) ? string.Empty : $"[Aggregation(typeof({input}))]\n")
            + attributes + "\npublic partial struct Bad\n{\n" + members + "\n}\n";

    [Fact]
    public void KRN0001_TypeNotPartial_PointsAtTheAttribute()
        => AssertDiagnostic("KRN0001",
            "using Kernel;\nnamespace App;\n[[|StreamEvent|]]\npublic struct Plain { public long A; }\n",
            "'Plain' must be declared partial: the generator adds the Csv and JsonLines codecs to it");

    [Fact]
    public void KRN0002_EventNotUnmanaged_NamesTheReferenceField()
        => AssertDiagnostic("KRN0002",
            "using Kernel;\nnamespace App;\n[[|StreamEvent|]]\npublic partial struct WithText { public long A; public string Name; }\n",
            "Event type 'WithText' must be an unmanaged struct: events live in ring slots and are journaled as raw bytes, but 'Name' of type 'string' is a reference or contains one");

    [Fact]
    public void KRN0003_MemberNotFoundOnInput_NamesInputMemberAndRow()
        => AssertDiagnostic("KRN0003",
            Aggregation("    [[|Sum(\"Missing\")|]] public long Total;"),
            "'Order' has no field or property named 'Missing' (named by [Sum] on 'Bad.Total')");

    [Fact]
    public void KRN0004_SumOverNonNumeric_NamesTheType()
        => AssertDiagnostic("KRN0004",
            Aggregation("    [[|Sum(nameof(Order.Express))|]] public long Total;"),
            "[Sum] on 'Bad.Total' needs a numeric input member, but 'Order.Express' is 'bool'");

    [Theory]
    [InlineData("Min")]
    [InlineData("Max")]
    [InlineData("Avg")]
    public void KRN0004_MinMaxAvgOverNonNumeric_NameTheAggregate(string aggregate)
        => AssertDiagnostic("KRN0004",
            Aggregation($"    [[|{aggregate}(nameof(Order.Express))|]] public long Total;"),
            $"[{aggregate}] on 'Bad.Total' needs a numeric input member, but 'Order.Express' is 'bool'");

    [Fact]
    public void KRN0005_SumOfLongIntoInt_IsTooSmall()
        => AssertDiagnostic("KRN0005",
            Aggregation("    [[|Sum(nameof(Order.PriceCents))|]] public int Total;"),
            "'Bad.Total' of type 'int' cannot hold the [Sum] of 'Order.PriceCents' ('long') without narrowing; use 'long' or a wider type");

    [Fact]
    public void KRN0006_DuplicateKey_NamesBothMembers()
        => AssertDiagnostic("KRN0006",
            Aggregation("    [Key] public long ProductId;\n    [[|Key(nameof(Order.ProductId))|]] public long Again;"),
            "'Bad.Again' repeats the key 'Order.ProductId' already taken by 'Bad.ProductId'");

    [Fact]
    public void KRN0007_UnsupportedKeyType_Double()
        => AssertDiagnostic("KRN0007",
            Aggregation("    [[|Key(nameof(Order.PriceCents))|]] public double Band;"),
            "Key 'Bad.Band' has type 'double', which cannot be a key; use an integer, bool, char or enum type");

    [Fact]
    public void KRN0008_WhereNotBool_NamesTheMemberType()
        => AssertDiagnostic("KRN0008",
            Aggregation("    [Count] public long N;", "[[|Where(nameof(Order.PriceCents))|]]"),
            "[Where] on 'Bad' names 'Order.PriceCents' of type 'long'; it must be a bool field or property");

    [Fact]
    public void KRN0009_InputNeitherEventNorAggregation()
        => AssertDiagnostic("KRN0009",
            Aggregation("    [Count] public long N;", "[[|Aggregation(typeof(NotAnEvent))|]]"),
            "The input of aggregation 'Bad' is 'NotAnEvent', which is neither a [StreamEvent] nor an [Aggregation]");

    [Fact]
    public void KRN0010_CycleBetweenAggregations_ReportedOnEachMember()
    {
        var marked = MarkedSource.Parse("""
            using Kernel;
            namespace App;
            [[|Aggregation(typeof(B))|]]
            public partial struct A { [Key(nameof(B.K))] public long K; [Count] public long N; }
            [Aggregation(typeof(A))]
            public partial struct B { [Key(nameof(A.K))] public long K; [Count] public long N; }
            """);
        var run = GeneratorHarness.RunGenerator(marked.Text, Events);
        var cycles = run.GeneratorDiagnostics.Where(d => d.Id == "KRN0010").OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(2, cycles.Count);
        Assert.Equal(2, run.GeneratorDiagnostics.Length);
        Assert.Equal(marked.Span, cycles[0].Location.SourceSpan);
        Assert.Equal("Aggregation 'App.A' is part of a cycle: App.A → App.B → App.A", cycles[0].GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal("Aggregation 'App.B' is part of a cycle: App.B → App.A → App.B", cycles[1].GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void KRN0011_MoreThanOneEventTime_PointsAtTheSecond()
        => AssertDiagnostic("KRN0011",
            "using Kernel;\nnamespace App;\n[StreamEvent]\npublic partial struct TwoTimes\n{\n    [EventTime] public long T1;\n    [[|EventTime|]] public long T2;\n}\n",
            "'TwoTimes' has more than one [EventTime] member ('T1' and 'T2')");

    [Fact]
    public void KRN0012_BadDuration_ExplainsTheUnit()
        => AssertDiagnostic("KRN0012",
            Aggregation("    [Count] public long N;", "[[|TumblingWindow(\"1x\")|]]"),
            "TumblingWindow size on 'Bad': '1x' has the unknown unit 'x'; use ms, s, m, h or d");

    [Fact]
    public void KRN0013_WindowOverEventWithoutEventTime()
        => AssertDiagnostic("KRN0013",
            Aggregation("    [Count] public long N;", "[[|TumblingWindow(\"1h\")|]]", input: "Click"),
            "'Bad' declares a tumbling window, but its input 'Click' has no [EventTime] member");

    [Fact]
    public void KRN0014_EventTimeOfUnsupportedType()
        => AssertDiagnostic("KRN0014",
            "using Kernel;\nnamespace App;\n[StreamEvent]\npublic partial struct E\n{\n    [[|EventTime|]] public int T;\n}\n",
            "[EventTime] member 'E.T' has type 'int'; use long (Unix milliseconds), DateTime or DateTimeOffset");

    [Fact]
    public void KRN0015_WindowBoundNotLong()
        => AssertDiagnostic("KRN0015",
            Aggregation("    [[|WindowStart|]] public int Start;\n    [Count] public long N;", "[TumblingWindow(\"1h\")]"),
            "[WindowStart] member 'Bad.Start' has type 'int'; window bounds are long Unix milliseconds");

    [Fact]
    public void KRN0016_NestedDeclaration_IsRejected()
        => AssertDiagnostic("KRN0016",
            "using Kernel;\nnamespace App;\npublic partial class Outer\n{\n    [[|Aggregation(typeof(Order))|]]\n    public partial struct Inner { [Count] public long N; }\n}\n",
            "'Inner' must be a non-generic struct declared directly in a namespace to carry [Aggregation]");

    [Fact]
    public void KRN0017_TwoRolesOnOneMember()
        => AssertDiagnostic("KRN0017",
            Aggregation("    [Sum(nameof(Order.PriceCents))] [[|Max(nameof(Order.PriceCents))|]] public long Both;"),
            "'Bad.Both' carries both [Sum] and [Max]; a row member is one key, one aggregate or one window bound");

    [Fact]
    public void KRN0018_TwoWindows()
        => AssertDiagnostic("KRN0018",
            Aggregation("    [Count] public long N;", "[TumblingWindow(\"1h\")]\n[[|SessionWindow(Gap = \"5m\")|]]"),
            "'Bad' declares more than one window ([TumblingWindow] and [SessionWindow])");

    [Fact]
    public void KRN0019_ReadOnlyRowMember()
        => AssertDiagnostic("KRN0019",
            Aggregation("    [[|Count|]] public readonly long N;"),
            "'Bad.N' is read-only; the generated ToRow must assign it (make it a field or give it a setter)");

    [Fact]
    public void KRN0020_CharColumn_IsSkippedWithAWarning()
        => AssertDiagnostic("KRN0020",
            "using Kernel;\nnamespace App;\n[StreamEvent]\npublic partial struct E\n{\n    public long A;\n    public char [|C|];\n}\n",
            "'E.C' of type 'char' is not read or written by the CSV/JSON codecs (supported: integers, float, double, decimal, bool, enums, DateTime, DateTimeOffset)",
            DiagnosticSeverity.Warning);

    [Fact]
    public void KRN0021_MemberNamedLikeGeneratedState()
        => AssertDiagnostic("KRN0021",
            Aggregation("    [Key(nameof(Order.ProductId))] public long [|State|];\n    [Count] public long N;"),
            "'Bad.State' has the name of the nested type 'State' the generator adds; rename the member");

    [Fact]
    public void KRN0021_CompositeKeyMemberNamedKey()
        => AssertDiagnostic("KRN0021",
            Aggregation("    [Key(nameof(Order.ProductId))] public long [|Key|];\n    [Key(nameof(Order.OrderId))] public long Id;"),
            "'Bad.Key' has the name of the nested type 'Key' the generator adds; rename the member");

    [Fact]
    public void KRN0021_RowMemberNamedLikeTheRowsJsonLinesCodec()
        => AssertDiagnostic("KRN0021",
            Aggregation("    [Key(nameof(Order.ProductId))] public long ProductId;\n    [Count] public long [|JsonLines|];"),
            "'Bad.JsonLines' has the name of the nested type 'JsonLines' the generator adds; rename the member");

    [Fact]
    public void KRN0021_MemberNamedLikeTheGeneratedFactory()
        => AssertDiagnostic("KRN0021",
            Aggregation("    [Key(nameof(Order.ProductId))] public long ProductId;\n    [Count] public long [|CreateOperator|];"),
            "'Bad.CreateOperator' has the name of the method 'CreateOperator' the generator adds; rename the member");

    [Fact]
    public void KRN0013_WindowOverAggregationWithoutWindowStart()
        => AssertDiagnostic("KRN0013",
            "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\npublic partial struct Up { [Key] public long ProductId; [Count] public long N; }\n"
            + "[Aggregation(typeof(Up))]\n[[|TumblingWindow(\"1h\")|]]\npublic partial struct Down { [Count] public long N; }\n",
            "'Down' declares a tumbling window, but its input 'Up' has no [WindowStart] member");

    [Fact]
    public void KRN0012_SlidingSizeNotMultipleOfSlide()
        => AssertDiagnostic("KRN0012",
            Aggregation("    [Count] public long N;", "[[|SlidingWindow(\"1h\", Slide = \"7m\")|]]"),
            "SlidingWindow on 'Bad': the size '1h' must be a multiple of the slide '7m'");

    [Theory]
    [InlineData("[[|SlidingWindow(\"1h\")|]]", "SlidingWindow Slide on 'Bad': a duration is required; write a number and a unit such as 500ms, 10s, 5m, 1h or 1d")]
    [InlineData("[[|SessionWindow|]]", "SessionWindow Gap on 'Bad': a duration is required; write a number and a unit such as 500ms, 10s, 5m, 1h or 1d")]
    [InlineData("[[|TumblingWindow(\"0ms\")|]]", "TumblingWindow size on 'Bad': '0ms' must be greater than zero")]
    [InlineData("[[|SlidingWindow(\"1h\", Slide = \"0m\")|]]", "SlidingWindow Slide on 'Bad': '0m' must be greater than zero")]
    [InlineData("[[|SessionWindow(Gap = \"0s\")|]]", "SessionWindow Gap on 'Bad': '0s' must be greater than zero")]
    [InlineData("[[|TumblingWindow(\"1d\", Offset = \"1w\")|]]", "TumblingWindow Offset on 'Bad': '1w' has the unknown unit 'w'; use ms, s, m, h or d")]
    [InlineData("[TumblingWindow(\"1d\")]\n[[|Watermark(MaxOutOfOrderness = \"ten\")|]]", "Watermark MaxOutOfOrderness on 'Bad': 'ten' has no number at position 0; write a number and a unit such as 500ms, 10s, 5m, 1h or 1d")]
    [InlineData("[TumblingWindow(\"1d\")]\n[[|Watermark(IdleTimeout = \"30sec\")|]]", "Watermark IdleTimeout on 'Bad': '30sec' has the unknown unit 'sec'; use ms, s, m, h or d")]
    [InlineData("[TumblingWindow(\"1d\")]\n[[|AllowedLateness(\"5\")|]]", "AllowedLateness on 'Bad': '5' has no unit after 5; use ms, s, m, h or d")]
    [InlineData("[TumblingWindow(\"1d\")]\n[[|Emit(EmitMode.Periodic, Interval = \"0ms\")|]]", "Emit Interval on 'Bad': '0ms' must be greater than zero")]
    public void KRN0012_EveryDurationOfAWindowDeclaration_IsChecked(string attributes, string message)
        => AssertDiagnostic("KRN0012", Aggregation("    [Count] public long N;", attributes), message);

    [Theory]
    [InlineData("[[|Watermark(MaxOutOfOrderness = \"10m\")|]]", "Watermark")]
    [InlineData("[[|AllowedLateness(\"1h\")|]]", "AllowedLateness")]
    [InlineData("[[|Emit(EmitMode.EveryUpdate)|]]", "Emit")]
    public void KRN0030_WindowSettingWithoutAWindow_IsAWarning(string attributes, string name)
        => AssertDiagnostic("KRN0030", Aggregation("    [Key] public long ProductId;\n    [Count] public long N;", attributes),
            $"'Bad' declares [{name}] but no window, so it has no effect (a running keyed aggregate has no watermark, lateness or emit mode); add [TumblingWindow], [SlidingWindow] or [SessionWindow], or remove [{name}]",
            DiagnosticSeverity.Warning);

    [Fact]
    public void KRN0012_PeriodicWithoutInterval()
        => AssertDiagnostic("KRN0012",
            Aggregation("    [Count] public long N;", "[TumblingWindow(\"1d\")]\n[[|Emit(EmitMode.Periodic)|]]"),
            "Emit Interval on 'Bad': a duration is required; write a number and a unit such as 500ms, 10s, 5m, 1h or 1d");

    [Fact]
    public void KRN0022_LastOverAnotherAggregationsRows()
        => AssertDiagnostic("KRN0022",
            "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\npublic partial struct Up { [Key] public long ProductId; [Sum(nameof(Order.RevenueCents))] public long Revenue; }\n"
            + "[Aggregation(typeof(Up))]\npublic partial struct Down { [[|Last(nameof(Up.Revenue))|]] public long Latest; }\n",
            "[Last] on 'Down.Latest' cannot read the rows of aggregation 'Up': they arrive as upserts, and a replaced row's first or last value cannot be taken back; aggregate the events directly, or use [Min]/[Max]");

    [Fact]
    public void KRN0027_WindowOverRevisedRows()
        => AssertDiagnostic("KRN0027",
            "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\n[TumblingWindow(\"1d\")]\n[Emit(EmitMode.OnWindowClose)]\n"
            + "public partial struct Daily { [Key] public long ProductId; [WindowStart] public long Day; [Sum(nameof(Order.RevenueCents))] public long Revenue; }\n"
            + "[Aggregation(typeof(Daily))]\n[[|TumblingWindow(\"7d\")|]]\npublic partial struct Weekly { [Key(nameof(Daily.ProductId))] public long ProductId; [Sum(nameof(Daily.Revenue))] public long Revenue; }\n",
            "'Weekly' windows the rows of aggregation 'Daily', which emits OnWindowClose: a windowed aggregation adds every row it receives, so each revision of an upstream row would be counted again; emit Final upstream, or aggregate its rows without a window (upserts replace each other)");

    [Fact]
    public void WindowOverFinalRows_IsAccepted()
    {
        var source = "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\n[TumblingWindow(\"1d\")]\n[Emit(EmitMode.Final)]\n"
            + "public partial struct Daily { [Key] public long ProductId; [WindowStart] public long Day; [Sum(nameof(Order.RevenueCents))] public long Revenue; }\n"
            + "[Aggregation(typeof(Daily))]\n[TumblingWindow(\"7d\")]\npublic partial struct Weekly { [Key(nameof(Daily.ProductId))] public long ProductId; [Sum(nameof(Daily.Revenue))] public long Revenue; }\n";
        var run = GeneratorHarness.RunGenerator(source, Events);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.DoesNotContain(run.CompilerDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void KRN0023_SampleOfZeroEvents()
        => AssertDiagnostic("KRN0023",
            "using Kernel;\nusing Kernel.Sketches;\nnamespace App;\n[Aggregation(typeof(Order))]\npublic partial struct Bad { [Key] public long ProductId; [[|Sample(0)|]] public Reservoir<Order> Some; }\n",
            "[Sample] on 'Bad.Some': the capacity is 0; it must be at least 1");

    [Fact]
    public void KRN0023_DistinctCountPrecisionTooHigh()
        => AssertDiagnostic("KRN0023",
            Aggregation("    [[|DistinctCount(nameof(Order.ProductId), Precision = 19)|]] public long Products;"),
            "[DistinctCount] on 'Bad.Products': Precision is 19; it must be from 4 to 18");

    [Fact]
    public void KRN0024_DistinctCountOverDouble()
        => AssertDiagnostic("KRN0024",
            "using Kernel;\nnamespace App;\n[StreamEvent]\npublic partial struct Tick { public long Id; public double Price; }\n"
            + "[Aggregation(typeof(Tick))]\npublic partial struct Bad { [[|DistinctCount(nameof(Tick.Price))|]] public long Prices; }\n",
            "[DistinctCount] on 'Bad.Prices' needs a member it can hash (an integer, bool, char, enum, DateTime or DateTimeOffset), but 'Tick.Price' is 'double'");

    [Fact]
    public void KRN0025_TopKByBool()
        => AssertDiagnostic("KRN0025",
            "using Kernel;\nusing Kernel.Sketches;\nnamespace App;\n[Aggregation(typeof(Order))]\npublic partial struct Up { [Key] public long ProductId; [Count] public long N; public bool Flag; }\n"
            + "[Aggregation(typeof(Up))]\npublic partial struct Bad { [[|TopK(3, By = nameof(Up.Flag))|]] public Leaderboard<long, long> Top; }\n",
            "[TopK] on 'Bad.Top' ranks by 'Up.Flag' of type 'bool'; By must name a numeric member of 'Up'");

    [Fact]
    public void KRN0026_TopKOverEvents()
        => AssertDiagnostic("KRN0026",
            "using Kernel;\nusing Kernel.Sketches;\nnamespace App;\n[Aggregation(typeof(Order))]\npublic partial struct Bad { [[|TopK(3, By = nameof(Order.PriceCents))|]] public Leaderboard<long, long> Top; }\n",
            "[TopK] on 'Bad.Top' ranks the rows of another aggregation, but its input 'Order' is not an [Aggregation]");

    [Fact]
    public void KRN0026_DistinctCountOverUpserts()
        => AssertDiagnostic("KRN0026",
            "using Kernel;\nnamespace App;\n[Aggregation(typeof(Order))]\npublic partial struct Up { [Key] public long ProductId; [Count] public long N; }\n"
            + "[Aggregation(typeof(Up))]\npublic partial struct Bad { [[|DistinctCount(nameof(Up.ProductId))|]] public long Products; }\n",
            "[DistinctCount] on 'Bad.Products' reads events, but the rows of aggregation 'Up' arrive as upserts and a sketch cannot take a replaced row back");

    [Fact]
    public void KRN0005_SampleIntoTheWrongType()
        => AssertDiagnostic("KRN0005",
            "using Kernel;\nusing Kernel.Sketches;\nnamespace App;\n[Aggregation(typeof(Order))]\npublic partial struct Bad { [[|Sample(3)|]] public Reservoir<long> Some; }\n",
            "'Bad.Some' of type 'Reservoir<long>' cannot hold a [Sample] of 'Order' events; use Kernel.Sketches.Reservoir<Order>");

    [Fact]
    public void EveryDescriptor_HasATestAndARowInTheDocs()
    {
        var docs = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "diagnostics.md"));
        var tests = typeof(DiagnosticTests).GetMethods().Select(m => m.Name).ToList();
        foreach (var d in Kernel.Generators.DiagnosticDescriptors.All)
        {
            Assert.True(docs.Contains("| " + d.Id + " |", StringComparison.Ordinal), d.Id + " has no row in docs/diagnostics.md");
            Assert.True(tests.Exists(t => t.StartsWith(d.Id + "_", StringComparison.Ordinal)), d.Id + " has no test named after it");
        }
    }
}
