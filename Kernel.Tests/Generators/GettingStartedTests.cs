using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Kernel.Formats;
using Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Generators;

/// <summary>The program in docs/getting-started.md, run on an in-memory file: the documented code must work.</summary>
public sealed class GettingStartedTests
{
    [Fact]
    public void HelloRevenue_WithoutTheRuntime_ProducesTheDocumentedRows()
    {
        var text = Encoding.UTF8.GetBytes(
            "order_id,product_id,customer_id,price_cents,quantity,timestamp_ms\n" +
            "1,7,3,250,2,2028-02-29T10:00:00Z\n" +
            "2,9,3,1000,1,2028-02-29T10:05:00Z\n" +
            "3,7,4,0,5,2028-02-29T10:06:00Z\n" +
            "4,7,5,100,3,2028-02-29T09:00:00Z\n");

        // --- as in docs/getting-started.md ---
        var lines = new Utf8LineReader(text);
        lines.TryNext(out var header);
        var map = Order.Csv.ParseHeader(header);
        var totals = new Dictionary<long, RevenueByProduct.State>();
        while (lines.TryNext(out var line))
        {
            var order = Order.Csv.Read(line, map, lines.LineNumber);
            if (!RevenueByProduct.Spec.Filter(order)) continue;
            ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(totals, RevenueByProduct.Spec.KeyOf(order), out var seen);
            if (!seen) RevenueByProduct.Spec.Init(out state);
            RevenueByProduct.Spec.Update(ref state, order);
        }
        var output = new ArrayBufferWriter<byte>();
        RevenueByProduct.Csv.WriteHeader(output);
        foreach (var (product, state) in totals.OrderBy(p => p.Key))
        {
            RevenueByProduct.Spec.ToRow(product, state, 0, 0, out var row);
            RevenueByProduct.Csv.Write(output, row);
        }
        // ---

        Assert.Equal(
            "product_id,revenue_cents,orders,cheapest,dearest,avg_price,first_order,last_order\n" +
            "7,800,2,100,250,175,4,1\n" +
            "9,1000,1,1000,1000,1000,2,2\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
