using System.Reflection;
using BenchmarkDotNet.Running;
using Kernel.Bench.Quick;

namespace Kernel.Bench;

/// <summary>
/// Entry point. <c>quick &lt;suite&gt;</c> runs a suite's in-process quick mode (JSON lines on
/// stdout); <c>gate</c> runs the performance regression gate; anything else goes to BenchmarkDotNet's switcher (<c>--filter *Ring*</c>, …).
/// </summary>
public static class Program
{
    /// <summary>Runs the command line.</summary>
    public static int Main(string[] args)
    {
        if (args.Length >= 1 && args[0] == "quick")
            return RunQuick(args.Skip(1).ToArray());
        if (args.Length >= 1 && args[0] == "gate")
            return Gate.GateCommand.Run(args.Skip(1).ToArray());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static int RunQuick(string[] names)
    {
        var suites = DiscoverSuites();
        if (names.Length == 0)
        {
            Console.Error.WriteLine("usage: quick <suite> [<suite>...] | quick all");
            Console.Error.WriteLine("suites: " + string.Join(", ", suites.Keys.Order(StringComparer.Ordinal)));
            return 2;
        }
        var selected = names is ["all"] ? suites.Keys.Order(StringComparer.Ordinal).ToArray() : names;
        var report = new QuickReport(Console.Out);
        foreach (var name in selected)
        {
            if (!suites.TryGetValue(name, out var suite))
            {
                Console.Error.WriteLine($"unknown suite '{name}'; suites: " + string.Join(", ", suites.Keys.Order(StringComparer.Ordinal)));
                return 2;
            }
            suite.Run(report);
        }
        return 0;
    }

    /// <summary>
    /// Every <see cref="IQuickSuite"/> in this assembly, by name; classes that share a name are
    /// combined into one suite, run in type-name order.
    /// </summary>
    public static Dictionary<string, IQuickSuite> DiscoverSuites() =>
        typeof(Program).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IQuickSuite).IsAssignableFrom(t) && t != typeof(CompositeSuite))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IQuickSuite)Activator.CreateInstance(t)!)
            .GroupBy(s => s.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count() == 1 ? g.First() : new CompositeSuite(g.Key, g.ToList()), StringComparer.Ordinal);
}
