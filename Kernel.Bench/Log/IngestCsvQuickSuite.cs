using System.Globalization;
using Kernel.Bench.Quick;
using Kernel.Bench.Sources;
using Kernel.Sources;

namespace Kernel.Bench.Log;

/// <summary>
/// Quick mode <c>log</c>, case <c>ingest-csv</c>: orders.csv read from a file on disk through a
/// FileSource and the generated <c>Order.Csv.Parser</c> (framing, UTF-8 number and ISO-8601 parsing),
/// against <c>streamreader</c> (File.ReadLines + Split + long.Parse + DateTimeOffset.Parse), in the
/// same run. One reader thread on each side: the rate is per core.
/// </summary>
public sealed class IngestCsvQuickSuite : IQuickSuite
{
    /// <inheritdoc/>
    public string Name => "log";

    /// <inheritdoc/>
    public void Run(QuickReport report)
    {
        var bytes = QuickSettings.Scaled(64L << 20, minimum: 4L << 20);
        var (data, records) = OrderCsv.Generate(bytes);
        var path = Path.Combine(Path.GetTempPath(), $"kernel-ingest-{Environment.ProcessId}.csv");
        File.WriteAllBytes(path, data);
        try
        {
            long kernelSum = 0, baselineSum = 0;
            var (kernelRate, kernelAlloc) = Measure.Median(() => kernelSum = ThroughSource(path, records), records, warmups: 1, repeats: 3);
            var (baselineRate, _) = Measure.Median(() => baselineSum = ThroughStreamReader(path, records), records, warmups: 1, repeats: 3);
            if (kernelSum != baselineSum)
                throw new InvalidOperationException($"ingest-csv: checksums differ (kernel {kernelSum}, streamreader {baselineSum})");
            Measure.Progress($"log/ingest-csv: {kernelRate:E3} records/s, streamreader {baselineRate:E3} records/s");
            report.Ratio(Name, "ingest-csv", kernelRate, "streamreader", baselineRate, kernelAlloc);
            report.Metric(Name, "ingest-csv", "mb_per_sec", kernelRate * data.Length / records / (1 << 20), "MB/s");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long ThroughSource(string path, long records)
    {
        var source = new FileSource<Order, Order.Csv.Parser>(path, new SourceOptions { HasHeader = true, ReadBufferSize = 1 << 20 });
        var target = new SummingTarget();
        source.RunAsync(target).GetAwaiter().GetResult();
        if (target.Count != records) throw new InvalidOperationException($"ingest-csv: read {target.Count} of {records} records");
        return target.Sum;
    }

    private static long ThroughStreamReader(string path, long records)
    {
        long sum = 0, count = 0;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            sum += long.Parse(f[0], CultureInfo.InvariantCulture) + long.Parse(f[1], CultureInfo.InvariantCulture)
                + long.Parse(f[2], CultureInfo.InvariantCulture) + long.Parse(f[3], CultureInfo.InvariantCulture) * long.Parse(f[4], CultureInfo.InvariantCulture)
                + DateTimeOffset.Parse(f[5], CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            count++;
        }
        if (count != records) throw new InvalidOperationException($"streamreader: read {count} of {records} records");
        return sum;
    }

    private sealed class SummingTarget : ISourceTarget<Order>
    {
        public long Sum;
        public long Count;

        public ValueTask PublishAsync(ReadOnlyMemory<Order> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
        {
            foreach (ref readonly var o in events.Span) Sum += o.OrderId + o.ProductId + o.CustomerId + o.PriceCents * o.Quantity + o.EventTimeMs;
            Count += events.Length;
            return default;
        }
    }
}
