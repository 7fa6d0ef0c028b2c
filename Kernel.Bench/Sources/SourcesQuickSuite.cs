using System.Globalization;
using Kernel.Bench.Quick;
using Kernel.Sources;

namespace Kernel.Bench.Sources;

/// <summary>
/// <c>quick sources</c>, case <c>ingest-lines</c>: an in-memory ~100 MB orders CSV through a
/// <see cref="StreamSource{T,TParser}"/> (PipeReader framing + a hand-written parser, batches to
/// a summing target) against the baseline <c>streamreader</c>: StreamReader.ReadLine,
/// string.Split, long.Parse and DateTimeOffset.Parse, what a .NET user would write. Both compute
/// the same checksum, which is compared.
/// </summary>
public sealed class SourcesQuickSuite : IQuickSuite
{
    public string Name => "sources";

    public void Run(QuickReport report)
    {
        var targetBytes = QuickSettings.Scaled(100L << 20, minimum: 4L << 20);
        Measure.Progress($"sources: generating {targetBytes >> 20} MB of orders CSV");
        var (data, records) = OrderCsv.Generate(targetBytes);
        var (small, smallRecords) = OrderCsv.Generate(targetBytes / 8);

        long kernelSum = 0, baselineSum = 0;
        var (kernelRate, _) = Measure.Median(() => kernelSum = IngestKernel(data, records), records, warmups: 1, repeats: 3);
        var (baselineRate, baselineAlloc) = Measure.Median(() => baselineSum = IngestStreamReader(data, records), records, warmups: 1, repeats: 3);
        if (kernelSum != baselineSum)
            throw new InvalidOperationException($"sources: checksums differ (kernel {kernelSum}, streamreader {baselineSum})");

        // Per record in steady state: the difference between a full and a small run, so the fixed
        // cost of a run (batch arrays, scratch buffer, pipe blocks) is not spread over the records.
        var allocPerRecord = Math.Max(0, (AllocatedBy(() => IngestKernel(data, records)) - AllocatedBy(() => IngestKernel(small, smallRecords)))
            / (double)(records - smallRecords));

        report.Ratio(Name, "ingest-lines", kernelRate, "streamreader", baselineRate, allocPerRecord);
        var mbPerRecord = data.Length / (double)records / (1 << 20);
        report.Metric(Name, "ingest-lines", "mb_per_sec", kernelRate * mbPerRecord, "MB/s");
        report.Metric(Name, "ingest-lines", "baseline_mb_per_sec", baselineRate * mbPerRecord, "MB/s");
        report.Metric(Name, "ingest-lines", "baseline_alloc_bytes_per_record", baselineAlloc, "B");

        // Where the time goes: framing and batching alone (a parser that only takes the length),
        // and the physical limit of line framing, a bare IndexOf loop over the same bytes.
        var (framingRate, _) = Measure.Median(() => FrameOnly(data, records), records, warmups: 1, repeats: 3);
        var (loopRate, _) = Measure.Median(() => IndexOfLoop(data, records), records, warmups: 1, repeats: 3);
        var (parseRate, _) = Measure.Median(() => IndexOfAndParse(data, records, kernelSum), records, warmups: 1, repeats: 3);
        report.Metric(Name, "ingest-lines", "framing_only_mb_per_sec", framingRate * mbPerRecord, "MB/s");
        report.Metric(Name, "ingest-lines", "indexof_loop_mb_per_sec", loopRate * mbPerRecord, "MB/s");
        report.Metric(Name, "ingest-lines", "indexof_parse_loop_mb_per_sec", parseRate * mbPerRecord, "MB/s");
    }

    private static long AllocatedBy(Action run)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        run();
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    private static long IngestKernel(byte[] data, long records)
    {
        var source = new StreamSource<Order, Order.Csv.Parser>(new MemoryStream(data, writable: false), "orders.csv",
            new SourceOptions { HasHeader = true });
        var target = new SummingTarget();
        source.RunAsync(target).GetAwaiter().GetResult();
        if (target.Count != records) throw new InvalidOperationException($"sources: read {target.Count} of {records} records");
        return target.Sum;
    }

    private static void FrameOnly(byte[] data, long records)
    {
        var source = new StreamSource<Order, LineCountParser>(new MemoryStream(data, writable: false), "orders.csv",
            new SourceOptions { HasHeader = true });
        var target = new SummingTarget();
        source.RunAsync(target).GetAwaiter().GetResult();
        if (target.Count != records) throw new InvalidOperationException($"sources: framed {target.Count} of {records} records");
    }

    private static void IndexOfLoop(byte[] data, long records)
    {
        var span = data.AsSpan();
        long lines = 0;
        int lf;
        while ((lf = span.IndexOf((byte)'\n')) >= 0)
        {
            lines++;
            span = span.Slice(lf + 1);
        }
        if (lines != records + 1) throw new InvalidOperationException($"indexof: {lines} lines for {records} records");
    }

    /// <summary>The hand-written limit of the whole case: IndexOf and the same parser in one loop, no pipe, no batches.</summary>
    private static void IndexOfAndParse(byte[] data, long records, long expectedSum)
    {
        var span = data.AsSpan();
        span = span.Slice(span.IndexOf((byte)'\n') + 1);
        var parser = new Order.Csv.Parser();
        long sum = 0, count = 0;
        int lf;
        while ((lf = span.IndexOf((byte)'\n')) >= 0)
        {
            if (!parser.TryParse(span[..lf], out var order, out _)) throw new InvalidOperationException("indexof+parse: bad row");
            sum += SummingTarget.Mix(order);
            count++;
            span = span.Slice(lf + 1);
        }
        if (count != records || sum != expectedSum) throw new InvalidOperationException($"indexof+parse: {count} records, sum {sum}");
    }

    private static long IngestStreamReader(byte[] data, long records)
    {
        using var reader = new StreamReader(new MemoryStream(data, writable: false));
        reader.ReadLine();
        long sum = 0, count = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            var parts = line.Split(',');
            var o = new Order
            {
                OrderId = long.Parse(parts[0], CultureInfo.InvariantCulture),
                ProductId = long.Parse(parts[1], CultureInfo.InvariantCulture),
                CustomerId = long.Parse(parts[2], CultureInfo.InvariantCulture),
                PriceCents = long.Parse(parts[3], CultureInfo.InvariantCulture),
                Quantity = long.Parse(parts[4], CultureInfo.InvariantCulture),
                EventTimeMs = DateTimeOffset.Parse(parts[5], CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
            };
            sum += SummingTarget.Mix(o);
            count++;
        }
        if (count != records) throw new InvalidOperationException($"streamreader: read {count} of {records} records");
        return sum;
    }

    /// <summary>Consumes every event (so nothing is optimized away) and counts them.</summary>
    private sealed class SummingTarget : ISourceTarget<Order>
    {
        public long Sum;
        public long Count;

        public static long Mix(in Order o) => o.OrderId + o.ProductId + o.CustomerId + o.PriceCents * o.Quantity + o.EventTimeMs;

        public ValueTask PublishAsync(ReadOnlyMemory<Order> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
        {
            foreach (ref readonly var o in events.Span) Sum += Mix(o);
            Count += events.Length;
            return default;
        }
    }
}
