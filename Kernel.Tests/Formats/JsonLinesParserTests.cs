using System.Text;
using Kernel.Sources;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Formats;

/// <summary>The generated <c>Order.JsonLines.Parser</c> driven by a <see cref="FileSource{T, TParser}"/> over temp files.</summary>
public sealed class JsonLinesParserTests
{
    // 96 characters + LF: [0,97).
    private const string First = """{"order_id":1,"product_id":7,"customer_id":3,"price_cents":250,"quantity":2,"timestamp_ms":1000}""" + "\n";

    [Fact]
    public async Task GoodFile_ReadsEveryRecord()
    {
        using var file = new TempFile("orders.jsonl", Encoding.UTF8.GetBytes(
            First + """{ "Quantity": 1, "note": "x", "timestamp_ms": "2028-02-29T23:59:59.999Z", "PriceCents": 99, "customerId": 4, "product_id": 8, "ORDER_ID": 2 }""" + "\r\n"));
        var source = new FileSource<Order, Order.JsonLines.Parser>(file.FilePath);
        var target = new CollectingTarget<Order>();
        await source.RunAsync(target).WaitAsync(SourceRun.Timeout);
        Assert.Equal(
            [
                new Order { OrderId = 1, ProductId = 7, CustomerId = 3, PriceCents = 250, Quantity = 2, TimestampMs = 1000 },
                new Order { OrderId = 2, ProductId = 8, CustomerId = 4, PriceCents = 99, Quantity = 1, TimestampMs = 1_835_481_599_999 },
            ],
            target.Events);
    }

    [Theory]
    [InlineData("""{"order_id":2,"product_id":7,"customer_id":3,"price_cents":"abc","quantity":2,"timestamp_ms":1000}""",
        "price_cents", "abc", "orders.jsonl: line 2, byte 97: column 'price_cents' value \"abc\": is not an integer (long)")]
    [InlineData("""{"order_id":2,"product_id":7,"customer_id":3,"price_cents":250,"timestamp_ms":1000}""",
        "quantity", null, "orders.jsonl: line 2, byte 97: column 'quantity': the record has no property for member 'Quantity' (write 'quantity')")]
    [InlineData("""[1,2]""",
        null, null, "orders.jsonl: line 2, byte 97: the record is not a flat JSON object: at byte 1 it must start with '{' (found '[1,2]')")]
    public async Task BadLine_FailsNamingFileLineBytePropertyAndValue(string line, string? column, string? value, string message)
    {
        using var file = new TempFile("orders.jsonl", Encoding.UTF8.GetBytes(First + line + "\n"));
        var source = new FileSource<Order, Order.JsonLines.Parser>(file.FilePath);
        var target = new CollectingTarget<Order>();
        var error = await Assert.ThrowsAsync<BadRecordException>(() => source.RunAsync(target).WaitAsync(SourceRun.Timeout));
        Assert.Equal((2L, 97L, column, value), (error.Line, error.BytePosition, error.Column, error.Value));
        Assert.Equal(message, error.Message);
        Assert.Equal([1L], target.Events.Select(o => o.OrderId));
    }

    [Fact]
    public void Parser_SteadyState_AllocatesNothingPerRecord()
    {
        var lines = new[] { Encoding.UTF8.GetBytes(First.TrimEnd('\n')), """{"order_id":2,"quantity":1,"product_id":8,"customer_id":4,"price_cents":99,"timestamp_ms":"2028-02-29T23:59:59.999Z"}"""u8.ToArray() };
        var parser = new Order.JsonLines.Parser();
        long sum = 0;
        for (var i = 0; i < 1000; i++) sum += Parse(ref parser, lines[i % 2]);
        Assert.Equal(1_000 / 2 * (1 + 2), sum);
        var allocated = Allocations.SteadyState(() =>
        {
            sum = 0;
            for (var i = 0; i < 30_000; i++) sum += Parse(ref parser, lines[i % 2]);
        });
        Assert.Equal(0, allocated);
        Assert.Equal(30_000 / 2 * (1 + 2), sum);

        static long Parse(ref Order.JsonLines.Parser parser, byte[] line)
        {
            Assert.True(parser.TryParse(line, out var order, out _));
            return order.OrderId;
        }
    }
}
