using Kernel.Modes;
using Kernel.Operators;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// <c>revenue batch</c>: the declaration over a bounded input, in Kernel's batch mode. As in Beam
/// and Flink batch execution, the watermark stays back until the whole input is read and then jumps
/// to the end, so no order of a bounded input is late: every order is counted.
/// </summary>
public static class BatchJob
{
    /// <summary>Aggregates <paramref name="input"/> and returns the table of final rows.</summary>
    public static async Task<RevenueTable> RunAsync(string input, BadRecordPolicy policy, Action<SourceProgress>? onStart, CancellationToken ct)
    {
        var table = new RevenueTable();
        var op = new DailyOperator(new TableSink(table), lateEvents: null, new WindowOptions { AllowedLatenessMs = 0 });
        var source = new FileSource<Order, OrderCsvParser>(input, new SourceOptions { HasHeader = true, BadRecordPolicy = policy });
        onStart?.Invoke(source.Progress);
        await BatchRunner.RunFileAsync<Order, OrderCsvParser, WindowedBatchTarget<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>>(
            BatchTarget.For(op), source, cancellationToken: ct).ConfigureAwait(false);
        return table;
    }
}
