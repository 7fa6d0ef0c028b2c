using Revenue.Cli;
using Revenue.Generation;

namespace Revenue;

/// <summary>The headline job's command line: <c>revenue &lt;command&gt; [--option value ...]</c>.</summary>
internal static class Program
{
    private const string Usage = """
        usage:
          revenue                      run the headline job on an embedded default
          revenue generate --orders N --days D --seed S [--late-fraction F] --out orders.csv
        """;

    private static int Main(string[] args)
    {
        try
        {
            if (args.Length == 0) return HeadlineJob.Run();
            var cl = CommandLine.Parse(args);
            return cl.Verb switch
            {
                "generate" => GenerateCommand.Run(cl),
                _ => throw new UsageException($"unknown command '{cl.Verb}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("revenue: " + e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }
}
