using Kernel.Operators;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// <c>revenue batch</c>: the declaration over a bounded input. As in Beam and Flink batch
/// execution, the watermark stays back until the whole input is read and then jumps to the end,
/// so no order of a bounded input is late: every order is counted.
/// </summary>
public static class BatchJob
{
    /// <summary>An out-of-orderness no input reaches: the watermark cannot pass any window before end of input.</summary>
    private const long HeldBackMs = long.MaxValue / 4;

    /// <summary>Aggregates <paramref name="input"/> and returns the table of final rows.</summary>
    public static async Task<RevenueTable> RunAsync(string input, BadRecordPolicy policy, Action<SourceProgress>? onStart, CancellationToken ct)
    {
        var table = new RevenueTable();
        var op = new DailyOperator(new TableSink(table), lateEvents: null,
            new WindowOptions { MaxOutOfOrdernessMs = HeldBackMs, AllowedLatenessMs = 0 });
        var source = new FileSource<Order, OrderCsvParser>(input, new SourceOptions { HasHeader = true, BadRecordPolicy = policy });
        onStart?.Invoke(source.Progress);
        await source.RunAsync(new OperatorTarget(op), ct).ConfigureAwait(false);
        op.EndOfInput();
        return table;
    }
}
