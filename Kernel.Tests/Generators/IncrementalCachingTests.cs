using Kernel.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kernel.Tests.Generators;

/// <summary>The pipeline's steps are cached across edits that do not touch declarations.</summary>
public sealed class IncrementalCachingTests
{
    private static readonly string[] s_steps = { KernelGenerator.Steps.Events, KernelGenerator.Steps.Aggregations, KernelGenerator.Steps.Graph };

    /// <summary>A declaration that reports a diagnostic (KRN0020: a char member the codecs leave out).</summary>
    private const string WithDiagnostic = """
        using Kernel;
        namespace Flagged;
        [StreamEvent]
        public partial struct Tap { public long Id; public char Code; }
        """;

    private static readonly string[] s_plain = [BaselineTests.Revenue, BaselineTests.Daily];

    /// <summary>
    /// Sketches, a [TopK] over another aggregation's rows and a model carrying a diagnostic: the parts of the model whose
    /// arrays are empty in <see cref="s_plain"/>, so an array compared by reference there would go unnoticed (session 24).
    /// </summary>
    private static readonly string[] s_rich = [BaselineTests.Revenue, BaselineTests.Daily, BaselineTests.Sketches, WithDiagnostic];

    private static GeneratorRunResult RunTwice(Func<Compilation, Compilation> edit, string[]? sources = null)
    {
        var compilation = GeneratorHarness.Compile(sources ?? s_plain);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        driver = driver.RunGenerators(edit(compilation));
        return driver.GetRunResult().Results.Single();
    }

    private static Compilation AddUnrelated(Compilation c) => c.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
        "namespace Other; public sealed class Unrelated { public int Value => 42; }", GeneratorHarness.ParseOptions));

    [Fact]
    public void UnrelatedEdit_EveryTrackedStepIsCachedOrUnchanged() => AssertAllCached(RunTwice(AddUnrelated));

    [Fact]
    public void UnrelatedEdit_OverSketchesUpstreamsAndDiagnostics_EveryTrackedStepIsCachedOrUnchanged()
    {
        var result = RunTwice(AddUnrelated, s_rich);
        Assert.Contains(result.Diagnostics, d => d.Id == "KRN0020");   // the premise: a model carries a diagnostic
        AssertAllCached(result);
    }

    private static void AssertAllCached(GeneratorRunResult result)
    {
        foreach (var name in s_steps)
        {
            Assert.True(result.TrackedSteps.TryGetValue(name, out var steps), name + " was not tracked");
            Assert.NotEmpty(steps);
            foreach (var output in steps.SelectMany(s => s.Outputs))
            {
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {output.Reason}");
            }
        }
        foreach (var output in result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
        {
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "output: " + output.Reason);
        }
    }

    [Fact]
    public void DeclarationEdit_ModifiesTheAggregationStep()
    {
        // The control: a real change must not be served from the cache, or the test above proves nothing.
        var result = RunTwice(c =>
        {
            var tree = c.SyntaxTrees.Single(t => t.ToString().Contains("DailyRevenue", StringComparison.Ordinal));
            var text = tree.ToString().Replace("[Count] public long Orders;", "[Count] public double Orders;", StringComparison.Ordinal);
            return c.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, tree.FilePath));
        });
        var reasons = result.TrackedSteps[KernelGenerator.Steps.Aggregations].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SameSource_TwoCompilations_ProduceEqualModelsWithEqualHashes(bool rich)
    {
        object[] Models()
        {
            var compilation = GeneratorHarness.Compile(rich ? s_rich : [BaselineTests.Revenue, BaselineTests.Daily, BaselineTests.Readings]);
            var run = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult().Results.Single();
            return s_steps.SelectMany(n => run.TrackedSteps[n]).SelectMany(s => s.Outputs).Select(o => o.Value).ToArray();
        }
        var first = Models();
        var second = Models();
        Assert.Equal(first.Length, second.Length);
        Assert.True(first.Length >= 6);
        for (var i = 0; i < first.Length; i++)
        {
            Assert.NotSame(first[i], second[i]);
            Assert.Equal(first[i], second[i]);
            Assert.Equal(first[i].GetHashCode(), second[i].GetHashCode());
        }
    }
}
