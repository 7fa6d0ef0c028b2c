using Microsoft.CodeAnalysis;

namespace Kernel.Tests.Generators;

/// <summary>
/// Branches of the sketch rules (KRN0023, KRN0026, KRN0005) that had no test (session 24's audit): one test per
/// branch, with its message and the attribute it points at; and the precision bounds, which are accepted.
/// </summary>
public sealed partial class DiagnosticTests
{
    private const string SketchUsings = "using Kernel;\nusing Kernel.Sketches;\nnamespace App;\n";

    private const string Upstream = "[Aggregation(typeof(Order))]\npublic partial struct Up { [Key] public long ProductId; [Count] public long N; }\n";

    [Fact]
    public void KRN0023_TopKOfZero()
        => AssertDiagnostic("KRN0023",
            SketchUsings + Upstream + "[Aggregation(typeof(Up))]\npublic partial struct Bad { [[|TopK(0, By = nameof(Up.N))|]] public Leaderboard<long, long> Top; }\n",
            "[TopK] on 'Bad.Top': k is 0; it must be at least 1");

    [Fact]
    public void KRN0023_DistinctCountPrecisionTooLow()
        => AssertDiagnostic("KRN0023",
            Aggregation("    [[|DistinctCount(nameof(Order.ProductId), Precision = 3)|]] public long Products;"),
            "[DistinctCount] on 'Bad.Products': Precision is 3; it must be from 4 to 18");

    [Theory]
    [InlineData(4)]
    [InlineData(18)]
    public void DistinctCountPrecision_AtEitherBound_IsAccepted(int precision)
    {
        var run = GeneratorHarness.RunGenerator(
            Aggregation($"    [Key] public long ProductId;\n    [DistinctCount(nameof(Order.OrderId), Precision = {precision})] public long Orders;"), Events);
        Assert.True(run.GeneratorDiagnostics.IsEmpty, string.Join(" | ", run.GeneratorDiagnostics));
    }

    [Fact]
    public void KRN0026_SampleOverUpserts()
        => AssertDiagnostic("KRN0026",
            SketchUsings + Upstream + "[Aggregation(typeof(Up))]\npublic partial struct Bad { [[|Sample(3)|]] public Reservoir<Up> Some; }\n",
            "[Sample] on 'Bad.Some' reads events, but the rows of aggregation 'Up' arrive as upserts and a sketch cannot take a replaced row back");

    [Theory]
    [InlineData("[Count] public long N; public long ProductId;")]                                                    // no key
    [InlineData("[Key] public long ProductId; [Key(nameof(Order.OrderId))] public long OrderId; [Count] public long N;")]   // two keys
    [InlineData("[Key(nameof(Sale.Tier))] public Tier Tier; [Count] public long N;", "Sale")]                          // an enum key
    public void KRN0026_TopKOverAnUpstreamWithoutExactlyOneIntegerKey(string members, string input = "Order")
    {
        var sale = "public enum Tier { Low, High }\n[StreamEvent]\npublic partial struct Sale { public Tier Tier; public long Cents; }\n";
        var upstream = $"[Aggregation(typeof({input}))]\npublic partial struct Up {{ {members} }}\n";
        AssertDiagnostic("KRN0026",
            SketchUsings + sale + upstream + "[Aggregation(typeof(Up))]\npublic partial struct Bad { [[|TopK(3, By = nameof(Up.N))|]] public Leaderboard<long, long> Top; }\n",
            "[TopK] on 'Bad.Top' ranks the keys of 'Up', which needs exactly one [Key] member of an integer type");
    }

    [Fact]
    public void KRN0005_DistinctCountIntoAnInt()
        => AssertDiagnostic("KRN0005",
            Aggregation("    [Key] public long ProductId;\n    [[|DistinctCount(nameof(Order.OrderId))|]] public int Orders;"),
            "'Bad.Orders' of type 'int' cannot hold a [DistinctCount] (a 64-bit estimate); use long");

    [Fact]
    public void KRN0005_LeaderboardOfTheWrongKeyType()
        => AssertDiagnostic("KRN0005",
            SketchUsings + Upstream + "[Aggregation(typeof(Up))]\npublic partial struct Bad { [[|TopK(3, By = nameof(Up.N))|]] public Leaderboard<int, long> Top; }\n",
            "'Bad.Top' of type 'Leaderboard<int, long>' cannot hold a [TopK] of 'Up' by 'N'; use Kernel.Sketches.Leaderboard<long, long>");
}
