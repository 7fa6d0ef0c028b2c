namespace Kernel.Tests.Host;

/// <summary>Dispatches to the scenario named by the first argument.</summary>
public static class Program
{
    /// <summary>Runs <c>&lt;scenario&gt; [args...]</c>.</summary>
    public static int Main(string[] args)
    {
        var scenarios = typeof(Program).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IChildScenario).IsAssignableFrom(t))
            .Select(t => (IChildScenario)Activator.CreateInstance(t)!)
            .ToDictionary(s => s.Name, StringComparer.Ordinal);
        if (args.Length == 0 || !scenarios.TryGetValue(args[0], out var scenario))
        {
            Console.Error.WriteLine("usage: Kernel.Tests.Host <scenario> [args...]; scenarios: " +
                string.Join(", ", scenarios.Keys.Order(StringComparer.Ordinal)));
            return 2;
        }
        return scenario.Run(args[1..]);
    }
}
