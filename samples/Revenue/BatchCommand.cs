using Revenue.Cli;
using Revenue.Jobs;

namespace Revenue;

/// <summary><c>revenue batch --input orders.csv --out revenue.csv</c>: every order counted.</summary>
internal static class BatchCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(CommandLine cl)
    {
        var input = cl.Required("input");
        var output = cl.Required("out");
        var policy = InputErrors.Policy(cl);
        cl.RejectUnknown();
        var table = await BatchJob.RunAsync(input, policy, onStart: null, CancellationToken.None).ConfigureAwait(false);
        table.WriteCsv(output);
        Console.Error.WriteLine($"batch: {table.TotalOrders:N0} orders, {table.Count:N0} rows → {output}");
        return 0;
    }
}
