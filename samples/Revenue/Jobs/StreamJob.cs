using Kernel.Operators;
using Kernel.Ring;
using Kernel.Runtime;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// <c>revenue stream</c>: orders flow through the ring into the generated daily-revenue operator in
/// event time, the watermark advanced per record in file order. Late orders go to the late output;
/// final rows go to revenue.csv.
/// </summary>
public sealed class StreamJob
{
    private readonly StreamSettings _settings;

    /// <summary>Prepares a run.</summary>
    public StreamJob(StreamSettings settings)
    {
        _settings = settings;
        Table = new RevenueTable();
        Late = new LateOrders(settings.LateOutput);
        Operator = new DailyOperator(new TableSink(Table), Late,
            new WindowOptions { MaxOutOfOrdernessMs = settings.OutOfOrdernessMs, AllowedLatenessMs = settings.LatenessMs });
    }

    /// <summary>The final rows (complete once <see cref="RunAsync"/> returns).</summary>
    public RevenueTable Table { get; }

    /// <summary>The late orders.</summary>
    public LateOrders Late { get; }

    /// <summary>The operator (its watermark and counters may be read for display while it runs).</summary>
    public DailyOperator Operator { get; }

    /// <summary>The source's progress, once the run has started.</summary>
    public SourceProgress? Progress { get; private set; }

    /// <summary>Runs the input to its end and writes the outputs.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(_settings.DataDirectory);
        var options = new SourceOptions { HasHeader = true, BadRecordPolicy = _settings.BadRecords };
        await using (var kernel = new StreamKernel<Order>(new StreamKernelOptions { Name = "revenue", ProducerType = ProducerType.Single }))
        {
            kernel.AddHandler("daily-revenue", Operator);
            kernel.Start();
            var target = new KernelTarget(kernel, _settings.Rate);
            if (_settings.Input == "-")
            {
                var source = StreamSource<Order, OrderCsvParser>.FromStandardInput(options);
                Progress = source.Progress;
                await source.RunAsync(target, ct).ConfigureAwait(false);
            }
            else
            {
                var source = new FileSource<Order, OrderCsvParser>(_settings.Input, options);
                Progress = source.Progress;
                await source.RunAsync(target, ct).ConfigureAwait(false);
            }
            // End of input moves the watermark to +∞: every remaining day fires.
            await kernel.CompleteAsync(ct).ConfigureAwait(false);
        }
        Late.Complete();
        Table.WriteCsv(_settings.Output);
    }
}
