using System.Buffers;
using System.Text;
using Kernel.Formats;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Formats;

/// <summary>The generated CSV codecs of the declarations in <c>Generators/Declarations</c>.</summary>
public sealed class CsvCodecTests
{
    private static readonly Order s_order = new() { OrderId = 1, ProductId = 7, CustomerId = 3, PriceCents = 250, Quantity = 2, TimestampMs = 1000 };

    private static string Text(Action<ArrayBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Write_ProducesSnakeCaseHeaderAndInvariantNumbers()
    {
        Assert.Equal("order_id,product_id,customer_id,price_cents,quantity,timestamp_ms\n", Text(b => Order.Csv.WriteHeader(b)));
        Assert.Equal("1,7,3,250,2,1000\n", Text(b => Order.Csv.Write(b, s_order)));
    }

    [Fact]
    public void Header_PascalCaseShuffledWithExtraColumn_MapsByName()
    {
        var map = Order.Csv.ParseHeader("\uFEFFTimestampMs,Comment,OrderId,ProductId,CustomerId,PriceCents,Quantity\r\n"u8);
        Assert.Equal(7, map.ColumnCount);
        Assert.Equal(-1, map.MemberAt(1));
        Assert.True(Order.Csv.TryRead("2028-02-29T23:59:59.999Z,\"ignored, quoted\",1,7,3,\"250\",2\r\n"u8, map, 2, out var order, out var error), error.ToString());
        Assert.Equal(s_order with { TimestampMs = 1_835_481_599_999 }, order);
    }

    [Fact]
    public void Header_MissingColumn_NamesTheMemberAndTheExpectedName()
    {
        Assert.False(Order.Csv.TryParseHeader("order_id,product_id,customer_id,price_cents,timestamp_ms"u8, out _, out var error));
        Assert.Equal("line 1: the header has no column for member 'Quantity' (write 'quantity')", error.ToString());
    }

    [Fact]
    public void Header_TwoColumnsForOneMember_IsRejected()
    {
        Assert.False(Order.Csv.TryParseHeader("order_id,OrderId,product_id,customer_id,price_cents,quantity,timestamp_ms"u8, out _, out var error));
        Assert.Equal("line 1, column 2 'OrderId': 'OrderId' maps to member 'OrderId', already mapped by column 1", error.ToString());
    }

    [Fact]
    public void Header_ExplicitColumnName_IsTheOnlyNameAccepted()
    {
        Assert.False(Reading.Csv.TryParseHeader("region,sensor_id,temperature,price,valid,at"u8, out _, out var error));
        Assert.Equal("line 1: the header has no column for member 'Temperature' (write 'temp_c')", error.ToString());
        Assert.True(Reading.Csv.TryParseHeader("region,sensor_id,temp_c,price,valid,at"u8, out _, out _));
    }

    [Fact]
    public void BadValue_ErrorNamesLineColumnAndValue()
    {
        var map = Order.Csv.ParseHeader(Order.Csv.Header);
        Assert.False(Order.Csv.TryRead("1,7,3,abc,2,1000"u8, map, 5, out _, out var error));
        Assert.Equal(new FormatError(5, 3, "price_cents", "abc", "is not an integer (long)"), error);
        Assert.Equal("line 5, column 4 'price_cents': 'abc' is not an integer (long)", error.ToString());

        Assert.False(Order.Csv.TryRead("1,7,3,250,2,yesterday"u8, map, 6, out _, out error));
        Assert.Equal("line 6, column 6 'timestamp_ms': 'yesterday' is neither Unix milliseconds nor an ISO-8601 date-time", error.ToString());

        var thrown = Assert.Throws<EventFormatException>(() => Order.Csv.Read("1,7,3,250,99999999999,1000"u8, map, 7));
        Assert.Equal(4, thrown.Error.ColumnIndex);
        Assert.Equal("99999999999", thrown.Error.Value);
    }

    [Theory]
    [InlineData("1,7,3,250,2", "line 9: has 5 fields, the header has 6")]
    [InlineData("1,7,3,250,2,1000,8", "line 9: has more than the header's 6 fields")]
    [InlineData("", "line 9, column 1 'order_id': '' is not an integer (long)")]
    public void WrongFieldCount_IsReported(string line, string expected)
    {
        var map = Order.Csv.ParseHeader(Order.Csv.Header);
        Assert.False(Order.Csv.TryRead(Encoding.UTF8.GetBytes(line), map, 9, out _, out var error));
        Assert.Equal(expected, error.ToString());
    }

    [Fact]
    public void Reading_AllMemberKinds_RoundTrip()
    {
        var reading = new Reading
        {
            Region = Region.South, SensorId = -4, Temperature = -0.1, Price = 12.345m, Valid = true,
            At = new DateTimeOffset(2028, 2, 29, 23, 59, 59, 999, TimeSpan.FromHours(-3)),
        };
        var text = Text(b => { Reading.Csv.WriteHeader(b); Reading.Csv.Write(b, reading); });
        Assert.Equal("region,sensor_id,temp_c,price,valid,at\n2,-4,-0.1,12.345,true,2028-02-29T23:59:59.9990000-03:00\n", text);
        var lines = text.Split('\n');
        var map = Reading.Csv.ParseHeader(Encoding.UTF8.GetBytes(lines[0]));
        var back = Reading.Csv.Read(Encoding.UTF8.GetBytes(lines[1]), map, 2);
        Assert.Equal(reading, back);
        Assert.Equal(reading.At.Offset, back.At.Offset);
    }

    [Fact]
    public void AggregationRow_HasACsvWriter()
    {
        var row = new DailyRevenue { ProductId = 7, DayStartMs = 86_400_000, DayEndMs = 172_800_000, RevenueCents = 500, Orders = 1 };
        Assert.Equal("product_id,day_start_ms,day_end_ms,revenue_cents,orders\n7,86400000,172800000,500,1\n",
            Text(b => { DailyRevenue.Csv.WriteHeader(b); DailyRevenue.Csv.Write(b, row); }));
    }

    [Fact]
    public void RandomOrders_RoundTripThroughText()
    {
        const int seed = 4711;
        var random = new Random(seed);
        var buffer = new ArrayBufferWriter<byte>();
        Order.Csv.WriteHeader(buffer);
        var orders = new Order[2000];
        for (var i = 0; i < orders.Length; i++)
        {
            orders[i] = new Order
            {
                OrderId = random.NextInt64(long.MinValue, long.MaxValue), ProductId = random.NextInt64(), CustomerId = -random.NextInt64(),
                PriceCents = random.NextInt64(-1000, 1000), Quantity = random.Next(int.MinValue, int.MaxValue), TimestampMs = random.NextInt64(),
            };
            Order.Csv.Write(buffer, orders[i]);
        }
        var lines = new Utf8LineReader(buffer.WrittenSpan);
        Assert.True(lines.TryNext(out var header));
        var map = Order.Csv.ParseHeader(header);
        var n = 0;
        while (lines.TryNext(out var line))
        {
            Assert.True(Order.Csv.TryRead(line, map, lines.LineNumber, out var order, out var error), $"seed {seed}: {error}");
            Assert.Equal(orders[n++], order);
        }
        Assert.Equal(orders.Length, n);
    }

    [Fact]
    public void Garbage_NeverThrows_AndErrorsNameTheLine()
    {
        const int seed = 1234;
        var random = new Random(seed);
        var map = Order.Csv.ParseHeader(Order.Csv.Header);
        var alphabet = "0123456789,\"-:TZ.\r\n xé"u8.ToArray();
        var valid = Encoding.UTF8.GetBytes("1,7,3,250,2,2028-02-29T23:59:59.999Z");
        var accepted = 0;
        for (var i = 0; i < 5000; i++)
        {
            byte[] line;
            if (i % 2 == 0)
            {
                line = new byte[random.Next(0, 48)];
                for (var j = 0; j < line.Length; j++) line[j] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }
            else
            {
                line = (byte[])valid.Clone();
                line[random.Next(line.Length)] = alphabet[random.Next(alphabet.Length)];
            }
            if (Order.Csv.TryRead(line, map, i + 2, out _, out var error))
            {
                accepted++;
                continue;
            }
            Assert.True(error.Line == i + 2, $"seed {seed}, line {i + 2}: {error}");
            Assert.False(string.IsNullOrEmpty(error.Reason), $"seed {seed}, line {i + 2}");
        }
        // Single-byte mutations of a valid line often stay valid (a digit for a digit); pure noise rarely does.
        Assert.InRange(accepted, 1, 4999);
    }

    [Fact]
    public void ReadAndWrite_AllocateNothingPerLine()
    {
        var map = Order.Csv.ParseHeader(Order.Csv.Header);
        var line = "1,7,3,250,2,2028-02-29T23:59:59.999Z"u8.ToArray();
        var output = new ArrayBufferWriter<byte>(1 << 16);
        var sum = 0L;
        var calls = 0;
        for (var i = 0; i < 100; i++) Work(); // warm up every path
        var allocated = Allocations.SteadyState(() =>
        {
            for (var i = 0; i < 1000; i++) Work();
        });
        Assert.Equal(0, allocated);
        Assert.Equal(calls * 250L, sum);
        Assert.True(calls >= 1100, $"{calls} lines");

        void Work()
        {
            Order.Csv.TryRead(line, map, 2, out var order, out _);
            sum += order.PriceCents;
            calls++;
            output.ResetWrittenCount();
            Order.Csv.Write(output, order);
        }
    }
}
