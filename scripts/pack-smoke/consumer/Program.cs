// A consumer of the packed Kernel package: a file source with the generated CSV parser feeds a
// keyed aggregator running the generated spec; the rows are printed with the generated writer.
using System.Buffers;
using Kernel.Operators;
using Kernel.Sources;
using Smoke;

var path = Path.Combine(AppContext.BaseDirectory, "orders.csv");
File.WriteAllText(path,
    "order_id,product_id,customer_id,price_cents,quantity,timestamp_ms\n" +
    "1,7,3,250,2,2028-02-29T10:00:00Z\n" +
    "2,9,3,1000,1,2028-02-29T10:05:00Z\n" +
    "3,7,4,0,5,2028-02-29T10:06:00Z\n" +
    "4,7,5,100,3,2028-02-29T09:00:00Z\n");

var aggregator = new KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>();
var source = new FileSource<Order, Order.Csv.Parser>(path, new SourceOptions { HasHeader = true });
await source.RunAsync(new AggregatorTarget(aggregator)).WaitAsync(TimeSpan.FromSeconds(30));

var rows = new List<RevenueByProduct>();
foreach (var row in aggregator.GetRows()) rows.Add(row);
rows.Sort((a, b) => a.ProductId.CompareTo(b.ProductId));

var output = new ArrayBufferWriter<byte>();
RevenueByProduct.Csv.WriteHeader(output);
foreach (var row in rows) RevenueByProduct.Csv.Write(output, row);
Console.Out.Write(System.Text.Encoding.UTF8.GetString(output.WrittenSpan));
Console.Out.WriteLine($"events {aggregator.EventsSeen}, keys {aggregator.Count}, bad records {source.Progress.BadRecords}");

// A header without a quantity column must stop the source at line 1, naming the file and column.
File.WriteAllText(path, "order_id,product_id,customer_id,price_cents,timestamp_ms\n1,7,3,250,1000\n");
try
{
    await new FileSource<Order, Order.Csv.Parser>(path, new SourceOptions { HasHeader = true })
        .RunAsync(new AggregatorTarget(aggregator)).WaitAsync(TimeSpan.FromSeconds(30));
    Console.Out.WriteLine("bad header: not reported");
}
catch (BadRecordException e)
{
    Console.Out.WriteLine("bad header: " + e.Message);
}

/// <summary>Hands each batch the source parsed to the aggregator.</summary>
internal sealed class AggregatorTarget(KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec> aggregator)
    : ISourceTarget<Order>
{
    public ValueTask PublishAsync(ReadOnlyMemory<Order> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        aggregator.Apply(events.Span);
        return default;
    }
}
