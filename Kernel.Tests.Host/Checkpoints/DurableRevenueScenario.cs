using System.Globalization;
using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Pipelines;
using Kernel.Sinks;
using Kernel.Time;

namespace Kernel.Tests.Host.Checkpoints;

/// <summary>
/// The durable pipeline end to end for kill tests: a seeded stream of orders (a few late) through
/// the journal, a windowed revenue aggregation and two transactional CSV sinks (every emitted row
/// with its revision, and the late orders), checkpointed on demand every few thousand orders.
/// Args: <c>&lt;data dir&gt; &lt;orders&gt; &lt;orders per checkpoint&gt; &lt;orders per publish&gt; &lt;seed&gt;</c>.
/// Arm a crash with <c>KERNEL_CRASH_AT</c>; restart with the same arguments to recover and finish.
/// Exit codes: 0 done, 4 a checkpoint did not complete.
/// </summary>
public sealed class DurableRevenueScenario : IChildScenario
{
    /// <inheritdoc />
    public string Name => "durable-revenue";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var dataDir = args[0];
        var count = int.Parse(args[1], CultureInfo.InvariantCulture);
        var perCheckpoint = int.Parse(args[2], CultureInfo.InvariantCulture);
        var perPublish = int.Parse(args[3], CultureInfo.InvariantCulture);
        var seed = int.Parse(args[4], CultureInfo.InvariantCulture);
        return RunAsync(dataDir, Orders(seed, count), perCheckpoint, perPublish).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string dataDir, KillOrder[] orders, int perCheckpoint, int perPublish)
    {
        Directory.CreateDirectory(dataDir);
        var logger = new StderrLogger();
        using var rows = new TransactionalFileSink<KillRow>(Path.Combine(dataDir, "rows.csv"),
            RowFormatter.FromText<KillRow>("product,start,revenue,orders,revision,final", r => r.ToString()), "rows", logger);
        using var late = new TransactionalFileSink<KillOrder>(Path.Combine(dataDir, "late.csv"),
            RowFormatter.FromText<KillOrder>("order", o => o.OrderId.ToString(CultureInfo.InvariantCulture)), "late", logger);
        var sinks = new Sinks(rows, late);
        var participant = new OperatorParticipant("revenue");
        participant.OnBarrierSeal(rows.SealEpoch);
        participant.OnBarrierSeal(late.SealEpoch);
        var op = new WindowedAggregator<KillOrder, long, KillState, KillRow, KillSpec>(sinks, sinks, new WindowOptions
        {
            Clock = new ManualClock(), Control = participant, InitialCapacity = 64,
        });
        participant.Bind(op);
        await using var pipeline = new DurablePipeline<KillOrder, KillOrderTime>(new DurablePipelineOptions
        {
            DataDirectory = Path.Combine(dataDir, "data"), EventLayoutFingerprint = 0x4B11_0001, RingSize = 512,
            CheckpointInterval = TimeSpan.FromHours(1), KeepCheckpoints = 2, JournalSegmentBytes = 64 << 10,
        }, logger);
        pipeline.SetOperator("revenue", op, participant);
        pipeline.AddSink(rows);
        pipeline.AddSink(late);

        var recovery = await pipeline.StartAsync(CancellationToken.None);
        var at = (int)recovery.ResumePosition();
        Console.WriteLine($"resumed at {at} from checkpoint {recovery.CheckpointId}, replayed {recovery.EventsReplayed}");
        var positions = new long[perPublish];
        while (at < orders.Length)
        {
            var n = Math.Min(perPublish, orders.Length - at);
            for (var i = 0; i < n; i++) positions[i] = at + i + 1;
            await pipeline.PublishAsync(orders.AsMemory(at, n), positions.AsMemory(0, n), CancellationToken.None);
            var before = at;
            at += n;
            if (at / perCheckpoint != before / perCheckpoint && at < orders.Length)
            {
                var result = await pipeline.CheckpointAsync(CancellationToken.None);
                if (result.Outcome != CheckpointOutcome.Completed) return Aborted(result);
            }
        }
        var final = await pipeline.CompleteAsync(CancellationToken.None);
        Console.WriteLine($"done at {at}, final checkpoint {final.CheckpointId}");
        return 0;
    }

    private static int Aborted(CheckpointResult result)
    {
        Console.Error.WriteLine($"checkpoint {result.CheckpointId} did not complete: {result.Failure}");
        return 4;
    }

    /// <summary>Orders in arrival order: event times rise, 1 in 20 arrives up to 1.5 s late (past the 0.2 s lateness: a late order).</summary>
    private static KillOrder[] Orders(int seed, int count)
    {
        var rng = new Random(seed);
        var arrivals = new (long Arrival, KillOrder Order)[count];
        long t = 0;
        for (var i = 0; i < count; i++)
        {
            t += rng.Next(0, 5);
            var delay = rng.Next(20) == 0 ? rng.Next(0, 1_500) : rng.Next(0, 50);
            arrivals[i] = (t + delay, new KillOrder { OrderId = i, ProductId = rng.Next(40), PriceCents = rng.Next(1, 10_000), Quantity = rng.Next(1, 4), TimestampMs = t });
        }
        return arrivals.OrderBy(a => a.Arrival).ThenBy(a => a.Order.OrderId).Select(a => a.Order).ToArray();
    }

    private sealed class Sinks(TransactionalFileSink<KillRow> rows, TransactionalFileSink<KillOrder> late) : IRowSink<KillRow>, ILateEventSink<KillOrder>
    {
        public void OnRow(in KillRow row, in RowRevision revision) => rows.Write(row with { Revision = revision.Revision, IsFinal = revision.IsFinal });

        public void OnLateEvent(in KillOrder e, long eventTimeMs, long watermark) => late.Write(e);
    }
}

/// <summary>An order of the kill scenario.</summary>
public struct KillOrder
{
    /// <summary>Its id (and index in the input).</summary>
    public long OrderId;

    /// <summary>The key.</summary>
    public long ProductId;

    /// <summary>Unit price.</summary>
    public long PriceCents;

    /// <summary>Units.</summary>
    public int Quantity;

    /// <summary>Event time, ms.</summary>
    public long TimestampMs;
}

/// <summary>The running state per (product, window).</summary>
public struct KillState
{
    /// <summary>Revenue in cents.</summary>
    public long Revenue;

    /// <summary>Orders.</summary>
    public long Orders;
}

/// <summary>One emitted row, with its revision.</summary>
public readonly record struct KillRow(long ProductId, long Start, long Revenue, long Orders, int Revision, bool IsFinal)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ProductId},{Start},{Revenue},{Orders},{Revision},{(IsFinal ? 1 : 0)}");
}

/// <summary>The journal timestamp of an order.</summary>
public readonly struct KillOrderTime : Kernel.Journal.IEventTimestamp<KillOrder>
{
    /// <inheritdoc />
    public long TimestampOf(in KillOrder e) => e.TimestampMs;
}

/// <summary>Revenue per product per second (tumbling 1 s windows, 50 ms bound, 200 ms lateness, every update emitted).</summary>
public struct KillSpec : IAggregationSpec<KillOrder, long, KillState, KillRow>
{
    /// <inheritdoc />
    public static string Name => "Host.KillRevenue";

    /// <inheritdoc />
    public static ulong StateFingerprint => 0x4B11_0000_0000_0001UL;

    /// <inheritdoc />
    public static WindowSpec Window => new()
    {
        Kind = WindowKind.Tumbling, SizeMs = 1_000, SlideMs = 1_000, MaxOutOfOrdernessMs = 50, AllowedLatenessMs = 200, Emit = EmitMode.OnWindowClose,
    };

    /// <inheritdoc />
    public static bool Filter(in KillOrder e) => true;

    /// <inheritdoc />
    public static long KeyOf(in KillOrder e) => e.ProductId;

    /// <inheritdoc />
    public static ulong HashKey(in long key) => unchecked((ulong)key * 0x9E3779B97F4A7C15UL);

    /// <inheritdoc />
    public static long EventTime(in KillOrder e) => e.TimestampMs;

    /// <inheritdoc />
    public static void Init(out KillState state) => state = default;

    /// <inheritdoc />
    public static void Update(ref KillState state, in KillOrder e)
    {
        state.Revenue += e.PriceCents * e.Quantity;
        state.Orders++;
    }

    /// <inheritdoc />
    public static void Merge(ref KillState into, in KillState other)
    {
        into.Revenue += other.Revenue;
        into.Orders += other.Orders;
    }

    /// <inheritdoc />
    public static void ToRow(in long key, in KillState state, long windowStartMs, long windowEndMs, out KillRow row) =>
        row = new KillRow(key, windowStartMs, state.Revenue, state.Orders, 0, false);
}
