using System.Runtime.CompilerServices;
using Kernel.Journal;
using Kernel.Modes;
using Kernel.Operators;
using Kernel.Queries;
using Kernel.Sources;
using Kernel.Storage.Log;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Storage.Log;
using Kernel.Time;
using Xunit;
using static Kernel.Tests.Modes.ModeFixtures;

namespace Kernel.Tests.Modes;

public class BatchModeTests
{
    [Theory]
    [InlineData("span")]
    [InlineData("array-as-enumerable")]
    [InlineData("iterator")]
    [InlineData("async")]
    public async Task Keyed_Batch_EqualsGroupBy_ForEveryInputKind(string kind)
    {
        const int seed = 81;
        var orders = Orders(seed, 50_000, 300, 5, shuffle: true);
        var op = Keyed();
        var target = BatchTarget.For(op);
        BatchResult result = kind switch
        {
            "span" => BatchRunner.Run(target, (ReadOnlySpan<Order>)orders),
            "array-as-enumerable" => BatchRunner.Run(target, (IEnumerable<Order>)orders),
            "iterator" => BatchRunner.Run(target, Iterate(orders), new BatchOptions { BatchSize = 333 }),
            _ => await BatchRunner.RunAsync(target, IterateAsync(orders), new BatchOptions { BatchSize = 500 }).WaitAsync(TimeSpan.FromSeconds(30)),
        };
        Assert.Equal(orders.Length, result.Records);
        Assert.Equal(orders.Length, op.EventsSeen);
        AssertKeyedEqualsOracle(op, orders, $"seed {seed}, {kind}");
    }

    [Fact]
    public void Windowed_Batch_OverShuffledInput_CountsEveryOrder_AndEmitsOnlyAtTheEnd()
    {
        const int seed = 82;
        var orders = Orders(seed, 40_000, 50, 10, shuffle: true);   // fully shuffled: days apart
        var sink = new DailyRows();
        var late = new LateOrders();
        var op = Daily(sink, late: late);
        var target = BatchTarget.For(op);
        BatchRunner.Run(target, (ReadOnlySpan<Order>)orders, new BatchOptions { CompleteAtEnd = false });
        Assert.Empty(sink.Rows);                       // the watermark stayed back: nothing fired
        Assert.Equal(long.MinValue, op.Watermark);
        target.Complete();
        Assert.Equal(long.MaxValue, op.Watermark);
        Assert.Equal(0, op.LateEvents);
        Assert.Empty(late.Times);
        Assert.Equal(GroupByProductDay(orders), sink.Finals());
    }

    [Fact]
    public void Stream_OverOutOfOrderInput_WithNoLateEvents_EqualsBatch()
    {
        const int seed = 83;
        // Disorder below the declared 10m out-of-orderness: the stream drops nothing.
        var orders = Disordered(seed, 60_000, 40, 6, maxDelayMs: 9 * 60_000);
        var streamRows = new DailyRows();
        var stream = Daily(streamRows);
        for (var i = 0; i < orders.Length; i += 1000) stream.Apply(orders.AsSpan(i, Math.Min(1000, orders.Length - i)));
        Assert.NotEmpty(streamRows.Rows);              // windows fired while streaming
        stream.EndOfInput();
        Assert.Equal(0, stream.LateEvents);

        var batchRows = new DailyRows();
        BatchRunner.Run(BatchTarget.For(Daily(batchRows)), (ReadOnlySpan<Order>)orders);
        var batch = batchRows.Finals();
        Assert.Equal(GroupByProductDay(orders), batch);
        Assert.Equal(batch, streamRows.Finals());
    }

    [Fact]
    public void MicroBatch_Periodic_FinalRows_EqualStreamFinal()
    {
        const int seed = 84;
        var orders = Disordered(seed, 30_000, 30, 4, maxDelayMs: 5 * 60_000);
        var clock = new ManualClock(0);
        var microRows = new DailyRows();
        var micro = Daily(microRows, EmitMode.Periodic, clock, intervalMs: 1_000);
        for (var i = 0; i < orders.Length; i += 700)
        {
            micro.Apply(orders.AsSpan(i, Math.Min(700, orders.Length - i)));
            clock.Advance(1_000);
            micro.Tick();
        }
        micro.EndOfInput();
        Assert.Equal(0, micro.LateEvents);
        Assert.Contains(microRows.Rows, r => !r.Revision.IsFinal);   // micro-batches did emit partial rows

        var streamRows = new DailyRows();
        var stream = Daily(streamRows, EmitMode.Final);
        stream.Apply(orders);
        stream.EndOfInput();
        Assert.Equal(streamRows.Finals(), microRows.Finals());
        Assert.Equal(GroupByProductDay(orders), microRows.Finals());
    }

    [Fact]
    public void LogRange_Batch_EqualsGroupByOverTheRange()
    {
        const int seed = 85;
        var orders = Orders(seed, 20_000, 100, 3, shuffle: true);
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 256 * 1024 });
        var payload = new byte[JournalRecord.LengthOf<Order>()];
        for (var i = 0; i < orders.Length; i++)
        {
            JournalRecord.Write(payload, sourcePosition: i, sourceId: 0, orders[i]);
            log.Append(payload, orders[i].TimestampMs);
        }
        log.Flush();
        var reports = new List<BatchProgress>();
        var op = Keyed();
        var result = BatchRunner.RunLog<Order, KeyedBatchTarget<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>>(
            BatchTarget.For(op), log, 5_000, 15_000, new BatchOptions { Progress = reports.Add, ProgressIntervalMs = 0 });
        Assert.Equal(10_000, result.Records);
        Assert.Equal(10_000L * payload.Length, result.Bytes);
        AssertKeyedEqualsOracle(op, orders[5_000..15_000], $"seed {seed}, log range");
        Assert.True(reports[^1].IsFinal);
        Assert.Equal(10_000, reports[^1].TotalRecords);
        Assert.Equal(1.0, reports[^1].Fraction);

        // From a timestamp: the records appended with a timestamp at or after the 12,000th's, in a time-ordered journal.
        var sorted = orders.OrderBy(o => o.TimestampMs).ToArray();
        using var dir2 = new TempLogDirectory();
        using var timed = SegmentedLog.Open(dir2.Path, new LogOptions { SegmentBytes = 256 * 1024 });
        for (var i = 0; i < sorted.Length; i++)
        {
            JournalRecord.Write(payload, sourcePosition: i, sourceId: 0, sorted[i]);
            timed.Append(payload, sorted[i].TimestampMs);
        }
        timed.Flush();
        var since = sorted[12_000].TimestampMs;
        var tail = Keyed();
        var tailResult = BatchRunner.RunLogSince<Order, KeyedBatchTarget<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>>(BatchTarget.For(tail), timed, since);
        var expected = sorted.Where(o => o.TimestampMs >= since).ToArray();
        Assert.Equal(expected.Length, tailResult.Records);
        AssertKeyedEqualsOracle(tail, expected, $"seed {seed}, log since {since}");
    }

    [Fact]
    public async Task CsvFile_Batch_EqualsGroupBy_AndReportsBytesAgainstTheFileLength()
    {
        const int seed = 86;
        var orders = Orders(seed, 10_000, 60, 2, shuffle: true);
        var path = Path.Combine(Path.GetTempPath(), $"modes-{Guid.NewGuid():N}.csv");
        try
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            Order.Csv.WriteHeader(buffer);
            foreach (var o in orders) Order.Csv.Write(buffer, o);
            await File.WriteAllBytesAsync(path, buffer.WrittenMemory.ToArray());
            var reports = new List<BatchProgress>();
            var op = Keyed();
            var result = await BatchRunner.RunFileAsync<Order, Order.Csv.Parser, KeyedBatchTarget<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>>(
                BatchTarget.For(op), path, new SourceOptions { HasHeader = true }, new BatchOptions { Progress = reports.Add, ProgressIntervalMs = 0 })
                .WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(orders.Length, result.Records);
            Assert.Equal(buffer.WrittenCount, result.Bytes);
            AssertKeyedEqualsOracle(op, orders, $"seed {seed}, csv");
            var last = reports[^1];
            Assert.True(last.IsFinal);
            Assert.Equal(buffer.WrittenCount, last.TotalBytes);
            Assert.Equal(TimeSpan.Zero, last.Eta);
            Assert.Contains(reports, r => !r.IsFinal && r.Bytes > 0 && r.Bytes < buffer.WrittenCount);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Progress_ReportsRecords_Rate_AndEta_WhenTheTotalIsKnown()
    {
        var orders = Orders(87, 10_000, 10, 1, shuffle: false);
        var reports = new List<BatchProgress>();
        BatchRunner.Run(BatchTarget.For(Keyed()), (ReadOnlySpan<Order>)orders, new BatchOptions { BatchSize = 1000, Progress = reports.Add, ProgressIntervalMs = 0 });
        Assert.Equal(11, reports.Count);   // one per batch (interval 0) and the final one
        Assert.Equal(new long[] { 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 10_000 }, reports.Select(r => r.Records));
        Assert.All(reports, r => Assert.Equal(10_000, r.TotalRecords));
        Assert.Equal(0.5, reports[4].Fraction);
        Assert.NotNull(reports[4].Eta);
        Assert.True(reports[^1].IsFinal);
        Assert.Equal(TimeSpan.Zero, reports[^1].Eta);
    }

    [Fact]
    public void Progress_OfAnIteratorWithoutATotal_HasNoEta()
    {
        var reports = new List<BatchProgress>();
        BatchRunner.Run(BatchTarget.For(Keyed()), Iterate(Orders(88, 3000, 10, 1, false)), new BatchOptions { BatchSize = 1000, Progress = reports.Add, ProgressIntervalMs = 0 });
        Assert.Equal(-1, reports[0].TotalRecords);
        Assert.Null(reports[0].Eta);
        Assert.Equal(3000, reports[^1].Records);
    }

    [Fact]
    public void BadOptions_AreRejected_NamingTheSetting()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BatchRunner.Run(BatchTarget.For(Keyed()), ReadOnlySpan<Order>.Empty, new BatchOptions { BatchSize = 0 }));
        Assert.Contains("BatchOptions.BatchSize", e.Message);
    }

    [Fact]
    public void BatchMode_AllocatesNothingPerEvent()
    {
        var orders = Orders(89, 200_000, 500, 5, shuffle: true);
        // Warm up (JIT, pools) on identical operators, then measure fresh ones built beforehand.
        RunBoth(orders);
        // Each attempt builds fresh operators outside the measured window (Allocations.SteadyState).
        var keyed = Keyed(capacity: 2048);
        var windowed = Daily(new CountingDailySink(), prealloc: 8);
        var view = new KeyedStateView<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(Keyed(capacity: 2048));
        var allocated = Allocations.SteadyState(
            prepare: () =>
            {
                keyed = Keyed(capacity: 2048);
                windowed = Daily(new CountingDailySink(), prealloc: 8);
                view = new KeyedStateView<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(Keyed(capacity: 2048));
            },
            body: () =>
            {
                BatchRunner.Run(BatchTarget.For(keyed), (ReadOnlySpan<Order>)orders);
                BatchRunner.Run(BatchTarget.For(windowed), (ReadOnlySpan<Order>)orders);
                BatchRunner.Run(view, (ReadOnlySpan<Order>)orders);   // the queryable view: the gate per batch allocates nothing either
            });
        Assert.True(allocated == 0, $"batch mode allocated {allocated} bytes over {3 * orders.Length} events");
    }

    private static void RunBoth(Order[] orders)
    {
        BatchRunner.Run(BatchTarget.For(Keyed(capacity: 2048)), (ReadOnlySpan<Order>)orders);
        BatchRunner.Run(BatchTarget.For(Daily(new CountingDailySink(), prealloc: 8)), (ReadOnlySpan<Order>)orders);
        BatchRunner.Run(new KeyedStateView<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(Keyed(capacity: 2048)), (ReadOnlySpan<Order>)orders);
    }

    private static IEnumerable<Order> Iterate(Order[] orders)
    {
        foreach (var o in orders) yield return o;
    }

    private static async IAsyncEnumerable<Order> IterateAsync(Order[] orders, [EnumeratorCancellation] CancellationToken ct = default)
    {
        for (var i = 0; i < orders.Length; i++)
        {
            if (i % 4096 == 0) await Task.Yield();
            yield return orders[i];
        }
    }

    private sealed class LateOrders : ILateEventSink<Order>
    {
        public List<long> Times { get; } = new();

        public void OnLateEvent(in Order e, long eventTimeMs, long watermark) => Times.Add(eventTimeMs);
    }
}
