using Kernel.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kernel.Tests.Generators;

/// <summary>
/// docs/generator.md: an unrelated edit leaves every tracked step Cached or Unchanged. The other caching tests use
/// declarations whose sketch, upstream-key and diagnostic arrays are all empty, so an array compared by reference in
/// those parts of the model would go unnoticed; these run over sketches, a [TopK] over another aggregation's rows,
/// and a declaration that reports a diagnostic (session 24's audit).
/// </summary>
public sealed class IncrementalCachingSketchesS24Tests
{
    private static readonly string[] s_steps = { KernelGenerator.Steps.Events, KernelGenerator.Steps.Aggregations, KernelGenerator.Steps.Graph };

    private const string WithDiagnostic = """
        using Kernel;
        namespace Flagged;
        [StreamEvent]
        public partial struct Tap { public long Id; public char Code; }
        """;

    private static string[] Sources => [BaselineTests.Revenue, BaselineTests.Daily, BaselineTests.Sketches, WithDiagnostic];

    [Fact]
    public void UnrelatedEdit_OverSketchesUpstreamsAndDiagnostics_EveryTrackedStepIsCachedOrUnchanged()
    {
        var compilation = GeneratorHarness.Compile(Sources);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Contains(first.Diagnostics, d => d.Id == "KRN0020");   // the premise: a model carries a diagnostic
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Other; public sealed class Unrelated { public int Value => 42; }", GeneratorHarness.ParseOptions)));
        var result = driver.GetRunResult().Results.Single();

        foreach (var name in s_steps)
        {
            Assert.True(result.TrackedSteps.TryGetValue(name, out var steps), name + " was not tracked");
            foreach (var output in steps.SelectMany(s => s.Outputs))
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {output.Reason}");
        }
        foreach (var output in result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "output: " + output.Reason);
    }

    [Fact]
    public void SameSources_TwoCompilations_ProduceEqualModelsWithEqualHashes()
    {
        object[] Models()
        {
            var run = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(GeneratorHarness.Compile(Sources)).GetRunResult().Results.Single();
            return s_steps.SelectMany(n => run.TrackedSteps[n]).SelectMany(s => s.Outputs).Select(o => o.Value).ToArray();
        }
        var first = Models();
        var second = Models();
        Assert.Equal(first.Length, second.Length);
        for (var i = 0; i < first.Length; i++)
        {
            Assert.NotSame(first[i], second[i]);
            Assert.Equal(first[i], second[i]);
            Assert.Equal(first[i].GetHashCode(), second[i].GetHashCode());
        }
    }
}
