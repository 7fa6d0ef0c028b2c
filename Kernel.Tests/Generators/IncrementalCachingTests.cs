using Kernel.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kernel.Tests.Generators;

/// <summary>The pipeline's steps are cached across edits that do not touch declarations.</summary>
public sealed class IncrementalCachingTests
{
    private static readonly string[] s_steps = { KernelGenerator.Steps.Events, KernelGenerator.Steps.Aggregations, KernelGenerator.Steps.Graph };

    private static GeneratorRunResult RunTwice(Func<Compilation, Compilation> edit)
    {
        var compilation = GeneratorHarness.Compile(BaselineTests.Revenue, BaselineTests.Daily);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        driver = driver.RunGenerators(edit(compilation));
        return driver.GetRunResult().Results.Single();
    }

    [Fact]
    public void UnrelatedEdit_EveryTrackedStepIsCachedOrUnchanged()
    {
        var result = RunTwice(c => c.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Other; public sealed class Unrelated { public int Value => 42; }", GeneratorHarness.ParseOptions)));
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

    [Fact]
    public void SameSource_TwoCompilations_ProduceEqualModelsWithEqualHashes()
    {
        object[] Models()
        {
            var compilation = GeneratorHarness.Compile(BaselineTests.Revenue, BaselineTests.Daily, BaselineTests.Readings);
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
