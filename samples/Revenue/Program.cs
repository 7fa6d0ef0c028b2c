using Revenue.Cli;

namespace Revenue;

/// <summary>The headline job's command line: <c>revenue &lt;command&gt; [--option value ...]</c>.</summary>
internal static class Program
{
    private const string Usage = """
        usage:
          revenue                      run the headline job on an embedded default
          revenue generate --orders N --days D --seed S [--late-fraction F] --out orders.csv
          revenue batch  --input orders.csv --out revenue.csv [--on-bad-record fail|skip]
          revenue stream --input orders.csv|- --data DIR --out revenue.csv [--late-out late.csv]
                         [--out-of-orderness 10m] [--lateness 1h] [--checkpoint-interval 1s] [--rate N]
                         [--checkpoint-every N] [--keep-checkpoints 3] [--state-budget N] [--on-bad-record fail|skip]
          revenue replay --data DIR [--from OFFSET|ISO-TIMESTAMP] --out revenue.csv
          revenue query  --data DIR --product P [--day YYYY-MM-DD]
        """;

    private static async Task<int> Main(string[] args)
    {
        try
        {
            if (args.Length == 0) return await HeadlineJob.RunAsync().ConfigureAwait(false);
            var cl = CommandLine.Parse(args);
            return cl.Verb switch
            {
                "generate" => GenerateCommand.Run(cl),
                "batch" => await BatchCommand.RunAsync(cl).ConfigureAwait(false),
                "stream" => await StreamCommand.RunAsync(cl).ConfigureAwait(false),
                "replay" => ReplayCommand.Run(cl),
                "query" => QueryCommand.Run(cl),
                _ => throw new UsageException($"unknown command '{cl.Verb}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("revenue: " + e.Message);
            if (e.ShowUsage) Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (InputErrors.Describe(e) is { } message)
        {
            Console.Error.WriteLine("revenue: " + message);
            return 2;
        }
    }
}
