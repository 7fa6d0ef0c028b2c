using Kernel.Modes;
using Kernel.Operators;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;
using Xunit;
using static Kernel.Tests.Modes.ModeFixtures;

namespace Kernel.Tests.Modes;

/// <summary>Batch mode with several workers: the same rows as one sequential run and as a plain GROUP BY.</summary>
public class ParallelBatchTests
{
    private static Dictionary<long, RevenueByProduct> Rows(KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec> op)
    {
        var rows = new Dictionary<long, RevenueByProduct>();
        foreach (var row in op.GetRows()) rows.Add(row.ProductId, row);
        return rows;
    }

    [Theory]
    [InlineData(2, 1024)]
    [InlineData(3, 100)]
    [InlineData(4, 7)]
    [InlineData(7, 1000)]
    public void Keyed_Parallel_EqualsSequential_AndGroupBy(int parallelism, int batchSize)
    {
        var seed = 900 + parallelism;
        var orders = Orders(seed, 60_001, 500, 5, shuffle: true);
        var sequential = Keyed();
        BatchRunner.Run(BatchTarget.For(sequential), (ReadOnlySpan<Order>)orders, new BatchOptions { Parallelism = 1, BatchSize = batchSize });
        var parallel = Keyed();
        var result = BatchRunner.Run(BatchTarget.For(parallel), (ReadOnlySpan<Order>)orders, new BatchOptions { Parallelism = parallelism, BatchSize = batchSize });

        var context = $"seed {seed}, parallelism {parallelism}";
        Assert.Equal(orders.Length, result.Records);
        Assert.Equal(orders.Length, parallel.EventsSeen);
        AssertKeyedEqualsOracle(parallel, orders, context);
        // Every member, First/Last (by event time) and Avg included, equals the sequential run's.
        Assert.Equal(Rows(sequential), Rows(parallel));
    }

    [Fact]
    public void Keyed_Parallel_FromAnArrayAndAList_EqualsGroupBy()
    {
        const int seed = 911;
        var orders = Orders(seed, 20_000, 80, 3, shuffle: true);
        var fromArray = Keyed();
        BatchRunner.Run(BatchTarget.For(fromArray), (IEnumerable<Order>)orders, new BatchOptions { Parallelism = 2 });
        AssertKeyedEqualsOracle(fromArray, orders, $"seed {seed}, array");
        var fromList = Keyed();
        BatchRunner.Run(BatchTarget.For(fromList), orders.ToList(), new BatchOptions { Parallelism = 3 });
        AssertKeyedEqualsOracle(fromList, orders, $"seed {seed}, list");
    }

    [Fact]
    public void Keyed_Parallel_IntoAnOperatorWithState_MergesIntoIt()
    {
        const int seed = 912;
        var orders = Orders(seed, 30_000, 200, 4, shuffle: true);
        var op = Keyed();
        var first = orders.AsSpan(0, 10_000);
        BatchRunner.Run(BatchTarget.For(op), (ReadOnlySpan<Order>)first, new BatchOptions { Parallelism = 1, CompleteAtEnd = false });
        BatchRunner.Run(BatchTarget.For(op), (ReadOnlySpan<Order>)orders.AsSpan(10_000), new BatchOptions { Parallelism = 2 });
        Assert.Equal(orders.Length, op.EventsSeen);
        AssertKeyedEqualsOracle(op, orders, $"seed {seed}");
    }

    [Fact]
    public void Keyed_Parallel_WithMoreWorkersThanEvents_UsesOneEventPerWorker()
    {
        var orders = Orders(913, 5, 3, 1, shuffle: false);
        var op = Keyed();
        var result = BatchRunner.Run(BatchTarget.For(op), (ReadOnlySpan<Order>)orders, new BatchOptions { Parallelism = 64 });
        Assert.Equal(5, result.Records);
        AssertKeyedEqualsOracle(op, orders, "5 orders, 64 workers asked");
    }

    [Fact]
    public void Sketches_DoNotSplit_TheRunStaysSequential()
    {
        var orders = Orders(914, 20_000, 50, 2, shuffle: true);
        var sequential = new KeyedAggregator<Order, long, CustomerReach.State, CustomerReach, CustomerReach.Spec>();
        BatchRunner.Run(BatchTarget.For(sequential), (ReadOnlySpan<Order>)orders, new BatchOptions { Parallelism = 1 });
        var asked = new KeyedAggregator<Order, long, CustomerReach.State, CustomerReach, CustomerReach.Spec>();
        BatchRunner.Run(BatchTarget.For(asked), (ReadOnlySpan<Order>)orders, new BatchOptions { Parallelism = 4 });
        Assert.Equal(sequential.Count, asked.Count);
        foreach (var row in sequential.GetRows())
        {
            Assert.True(asked.TryGet(row.ProductId, out var other));
            Assert.Equal((row.Customers, row.Orders), (other.Customers, other.Orders));
            Assert.Equal(row.Sample.Items.ToArray(), other.Sample.Items.ToArray());   // same seed, same order of events: one thread
            Assert.Equal(orders.Count(o => o.ProductId == row.ProductId), other.Orders);
        }
    }

    [Fact]
    public void Progress_CountsEveryWorker_AndEndsAtTheTotal()
    {
        var orders = Orders(915, 40_000, 100, 2, shuffle: false);
        var reports = new List<BatchProgress>();
        var op = Keyed();
        BatchRunner.Run(BatchTarget.For(op), (ReadOnlySpan<Order>)orders, new BatchOptions { Parallelism = 3, BatchSize = 500, Progress = reports.Add, ProgressIntervalMs = 0 });
        Assert.True(reports.Count >= 2, $"{reports.Count} reports");
        for (var i = 1; i < reports.Count; i++) Assert.True(reports[i].Records >= reports[i - 1].Records, $"report {i} went back: {reports[i - 1].Records} → {reports[i].Records}");
        Assert.All(reports, r => Assert.Equal(orders.Length, r.TotalRecords));
        Assert.All(reports, r => Assert.InRange(r.Records, 0, orders.Length));
        Assert.Single(reports, r => r.IsFinal);
        Assert.True(reports[^1].IsFinal);
        Assert.Equal(orders.Length, reports[^1].Records);
        AssertKeyedEqualsOracle(op, orders, "seed 915, with progress");
    }

    [Fact]
    public void Parallel_CallingThreadAllocation_DoesNotGrowWithTheInput()
    {
        // Per run: the worker threads, their forks' tables; per event: nothing. Measured on the
        // calling thread (the workers run the same loop as a sequential run, which allocates nothing).
        var small = Orders(916, 20_000, 100, 1, shuffle: false);
        var large = Orders(917, 160_000, 100, 1, shuffle: false);
        var options = new BatchOptions { Parallelism = 2 };
        KeyedAggregator<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>? op = null;
        var smallBytes = Allocations.SteadyState(() => op = Keyed(256), () => BatchRunner.Run(BatchTarget.For(op!), (ReadOnlySpan<Order>)small, options));
        var largeBytes = Allocations.SteadyState(() => op = Keyed(256), () => BatchRunner.Run(BatchTarget.For(op!), (ReadOnlySpan<Order>)large, options));
        // 140,000 more events: one byte per event would add 140 KB, one per batch of 1024 about 137 objects.
        Assert.InRange(largeBytes, 0, smallBytes + 1024);
    }

    [Theory]
    [InlineData(10)]        // in the calling thread's share
    [InlineData(39_990)]    // in the last worker's share
    public void Parallel_AFailingWorker_FailsTheRun_WithItsOwnException(int poisonAt)
    {
        var orders = Orders(919, 40_000, 100, 1, shuffle: false);
        orders[poisonAt].OrderId = PoisonSpec.PoisonId;
        var op = new KeyedAggregator<Order, long, long, long, PoisonSpec>();
        var error = Assert.Throws<InvalidOperationException>(() =>
            BatchRunner.Run(BatchTarget.For(op), (ReadOnlySpan<Order>)orders, new BatchOptions { Parallelism = 4, BatchSize = 100 }));
        Assert.Equal(PoisonSpec.Message, error.Message);
    }

    /// <summary>Counts orders per product and throws on one poisoned order id.</summary>
    private struct PoisonSpec : IAggregationSpec<Order, long, long, long>
    {
        public const long PoisonId = -777;
        public const string Message = "poisoned order";
        public static string Name => "Tests.Poison";
        public static ulong StateFingerprint => 0x9015011UL;
        public static WindowSpec Window => WindowSpec.Unwindowed;
        public static bool Filter(in Order e) => true;
        public static long KeyOf(in Order e) => e.ProductId;
        public static ulong HashKey(in long key) => (ulong)key * 0x9E3779B97F4A7C15UL;
        public static long EventTime(in Order e) => e.TimestampMs;
        public static void Init(out long state) => state = 0;
        public static void Update(ref long state, in Order e)
        {
            if (e.OrderId == PoisonId) throw new InvalidOperationException(Message);
            state++;
        }
        public static void Merge(ref long into, in long other) => into += other;
        public static void ToRow(in long key, in long state, long windowStartMs, long windowEndMs, out long row) => row = state;
    }

    [Fact]
    public void Workers_Automatic_NeedEnoughEventsEach()
    {
        var auto = new BatchOptions();
        Assert.Equal(1, auto.WorkersFor(BatchOptions.MinEventsPerWorker * 2 - 1));
        Assert.Equal(Math.Min(Environment.ProcessorCount, 2), auto.WorkersFor(BatchOptions.MinEventsPerWorker * 2));
        Assert.Equal(Environment.ProcessorCount, auto.WorkersFor(BatchOptions.MinEventsPerWorker * Environment.ProcessorCount * 4));
        Assert.Equal(1, new BatchOptions { Parallelism = 1 }.WorkersFor(10_000_000));
        Assert.Equal(3, new BatchOptions { Parallelism = 3 }.WorkersFor(10_000_000));
        Assert.Equal(2, new BatchOptions { Parallelism = 3 }.WorkersFor(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchRunner.Run(BatchTarget.For(Keyed()), (ReadOnlySpan<Order>)Orders(918, 10, 2, 1, false), new BatchOptions { Parallelism = -1 }));
    }
}
