using System.Buffers;
using System.Text;
using Kernel.Formats;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Formats;

/// <summary>The generated JSON-lines codecs of the declarations in <c>Generators/Declarations</c>.</summary>
public sealed class JsonLinesCodecTests
{
    private static readonly Order s_order = new() { OrderId = 1, ProductId = 7, CustomerId = 3, PriceCents = 250, Quantity = 2, TimestampMs = 1000 };

    [Fact]
    public void Write_OneFlatObjectPerLine()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Order.JsonLines.Write(buffer, s_order);
        Assert.Equal("{\"order_id\":1,\"product_id\":7,\"customer_id\":3,\"price_cents\":250,\"quantity\":2,\"timestamp_ms\":1000}\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(s_order, Order.JsonLines.Read(buffer.WrittenSpan, 1));
    }

    [Fact]
    public void Read_AnyOrderAnyCaseUnknownPropertiesAndIsoTime()
    {
        var line = """ { "Quantity": 2, "note": "skip me", "timestamp_ms": "2028-02-29T23:59:59.999Z", "PriceCents":250,"customerId":3,"product_id":7,"ORDER_ID":1, "flag": true } """u8;
        Assert.True(Order.JsonLines.TryRead(line, 3, out var order, out var error), error.ToString());
        Assert.Equal(s_order with { TimestampMs = 1_835_481_599_999 }, order);
    }

    [Theory]
    [InlineData("""{"order_id":1,"product_id":7,"customer_id":3,"price_cents":"abc","quantity":2,"timestamp_ms":1000}""", "line 4, column 4 'price_cents': 'abc' is not an integer (long)")]
    [InlineData("""{"order_id":1,"product_id":7,"customer_id":3,"price_cents":250,"timestamp_ms":1000}""", "line 4: has no property for member 'Quantity' (write 'quantity')")]
    [InlineData("""{"order_id":1,"nested":{"a":1}}""", "line 4: is not a flat JSON object: at byte 24 it has a nested object or array; only flat objects are read (found '{\"a\":1}}')")]
    [InlineData("""{"order_id":1 "product_id":7}""", "line 4: is not a flat JSON object: at byte 15 it needs ',' or '}' between properties (found '\"product_id\":7}')")]
    [InlineData("""[1,2]""", "line 4: is not a flat JSON object: at byte 1 it must start with '{' (found '[1,2]')")]
    [InlineData("""{"order_id":"1""", "line 4: is not a flat JSON object: at byte 13 it has an unterminated string (found '\"1')")]
    [InlineData("""{"order_id":1} x""", "line 4: is not a flat JSON object: at byte 16 it has text after the closing '}' (found 'x')")]
    public void Errors_NameLinePropertyAndValue(string line, string expected)
    {
        Assert.False(Order.JsonLines.TryRead(Encoding.UTF8.GetBytes(line), 4, out _, out var error));
        Assert.Equal(expected, error.ToString());
    }

    [Fact]
    public void Reading_NonFiniteRealsAndOffsets_RoundTrip()
    {
        var reading = new Reading
        {
            Region = Region.North, SensorId = 9, Temperature = double.NaN, Price = -1.5m, Valid = false,
            At = new DateTimeOffset(2028, 2, 29, 23, 59, 59, 999, TimeSpan.FromMinutes(330)),
        };
        var buffer = new ArrayBufferWriter<byte>();
        Reading.JsonLines.Write(buffer, reading);
        Assert.Equal("{\"region\":1,\"sensor_id\":9,\"temp_c\":\"NaN\",\"price\":-1.5,\"valid\":false,\"at\":\"2028-02-29T23:59:59.9990000+05:30\"}\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
        var back = Reading.JsonLines.Read(buffer.WrittenSpan, 1);
        Assert.Equal(reading, back);
        Assert.Equal(reading.At.Offset, back.At.Offset);
    }

    [Fact]
    public void Garbage_NeverThrows_AndErrorsNameTheLine()
    {
        const int seed = 99;
        var random = new Random(seed);
        var valid = Encoding.UTF8.GetBytes("""{"order_id":1,"product_id":7,"customer_id":3,"price_cents":250,"quantity":2,"timestamp_ms":"2028-02-29T23:59:59.999Z"}""");
        var alphabet = "{}[]\":,0123456789 truefalsn\\-"u8.ToArray();
        var accepted = 0;
        for (var i = 0; i < 5000; i++)
        {
            var line = (byte[])valid.Clone();
            var edits = 1 + random.Next(4);
            for (var e = 0; e < edits; e++)
            {
                line[random.Next(line.Length)] = random.Next(5) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }
            if (random.Next(4) == 0) line = line[..random.Next(line.Length)];
            if (Order.JsonLines.TryRead(line, i + 1, out _, out var error))
            {
                accepted++;
                continue;
            }
            Assert.True(error.Line == i + 1, $"seed {seed}, line {i + 1}: {error}");
            Assert.False(string.IsNullOrEmpty(error.Reason), $"seed {seed}, line {i + 1}");
        }
        Assert.InRange(accepted, 1, 4999);
    }

    [Fact]
    public void ReadAndWrite_AllocateNothingPerLine()
    {
        var line = """{"order_id":1,"product_id":7,"customer_id":3,"price_cents":250,"quantity":2,"timestamp_ms":"2028-02-29T23:59:59.999Z"}"""u8.ToArray();
        var output = new ArrayBufferWriter<byte>(1 << 16);
        var sum = 0L;
        var calls = 0;
        for (var i = 0; i < 100; i++) Work();
        var allocated = Allocations.SteadyState(() =>
        {
            for (var i = 0; i < 1000; i++) Work();
        });
        Assert.Equal(0, allocated);
        Assert.Equal(calls * 250L, sum);
        Assert.True(calls >= 1100, $"{calls} lines");

        void Work()
        {
            Order.JsonLines.TryRead(line, 1, out var order, out _);
            sum += order.PriceCents;
            calls++;
            output.ResetWrittenCount();
            Order.JsonLines.Write(output, order);
        }
    }

    [Fact]
    public void AggregationRow_WritesAndReadsJsonLines_WithoutASourceParser()
    {
        var row = new DailyRevenue { ProductId = 7, DayStartMs = 86_400_000, DayEndMs = 172_800_000, RevenueCents = 500, Orders = 1 };
        var buffer = new ArrayBufferWriter<byte>();
        DailyRevenue.JsonLines.Write(buffer, row);
        Assert.Equal("{\"product_id\":7,\"day_start_ms\":86400000,\"day_end_ms\":172800000,\"revenue_cents\":500,\"orders\":1}\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(row, DailyRevenue.JsonLines.Read(buffer.WrittenSpan, 1));
        // Rows are written and read back, not fed to sources: no record parser, as for the row's CSV codec.
        Assert.Null(typeof(DailyRevenue.JsonLines).GetNestedType("Parser"));
        Assert.Null(typeof(DailyRevenue.Csv).GetNestedType("Parser"));
        Assert.NotNull(typeof(Order.JsonLines).GetNestedType("Parser"));
    }
}
