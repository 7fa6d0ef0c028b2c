using Kernel.Time;
using Revenue.Cli;
using Revenue.Jobs;

namespace Revenue;

/// <summary>
/// <c>revenue stream --input orders.csv|- --data DIR --out revenue.csv [--late-out late.csv]
/// [--out-of-orderness 10m] [--lateness 1h] (both default to the declaration's) [--checkpoint-interval 1s] [--checkpoint-every N] [--keep-checkpoints 3]
/// [--state-budget N] [--rate N]</c>.
/// </summary>
internal static class StreamCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(CommandLine cl)
    {
        var settings = new StreamSettings
        {
            Input = cl.Required("input"),
            DataDirectory = cl.Required("data"),
            Output = cl.Required("out"),
            LateOutput = cl.Optional("late-out"),
            // Unset, the declaration's values ([Watermark], [AllowedLateness] on DailyRevenue): the options override them.
            OutOfOrdernessMs = Duration(cl, "out-of-orderness") ?? Model.DailyRevenue.Spec.Window.MaxOutOfOrdernessMs,
            LatenessMs = Duration(cl, "lateness") ?? Model.DailyRevenue.Spec.Window.AllowedLatenessMs,
            CheckpointIntervalMs = Duration(cl, "checkpoint-interval") ?? 1000,
            Rate = cl.Int64("rate", 0, min: 0),
            CheckpointEveryOrders = cl.Int64("checkpoint-every", 0, min: 0),
            KeepCheckpoints = (int)cl.Int64("keep-checkpoints", 3, min: 1),
            StateBudgetEntries = cl.Int64("state-budget", 0, min: 0),
            BadRecords = InputErrors.Policy(cl),
        };
        cl.RejectUnknown();
        using var job = new StreamJob(settings);
        await job.RunAsync(CancellationToken.None).ConfigureAwait(false);
        Console.Error.WriteLine(
            $"stream: {job.Table.TotalOrders:N0} orders counted, {job.Late.Count:N0} late, {job.Table.Count:N0} rows → {settings.Output}");
        if (settings.StateBudgetEntries > 0)
            Console.Error.WriteLine(
                $"stream: state budget {settings.StateBudgetEntries:N0} entries: this run moved {job.Operator.SpillEvictions:N0} to the state store and read {job.Operator.SpillReads:N0} back");
        return 0;
    }

    private static long? Duration(CommandLine cl, string name)
    {
        if (cl.Optional(name) is not { } text) return null;
        if (!DurationText.TryParse(text, out var ms, out var error))
            throw new UsageException($"--{name}: {error}");
        return ms;
    }
}
