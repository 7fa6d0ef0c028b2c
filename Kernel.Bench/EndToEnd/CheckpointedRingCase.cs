using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Pipelines;
using Kernel.Time;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// Case <c>ring-checkpoints</c>: the same query in a <see cref="DurablePipeline{TEvent, TTime}"/> —
/// journal first, the windowed operator after it, an interval checkpoint every
/// <see cref="Interval"/> (barrier through the ring, journal flush, operator state snapshot, manifest)
/// and a final checkpoint at the end of input — in a temporary data directory. Orders go in through
/// the pipeline's source interface with their order ids as source positions.
/// </summary>
public sealed class CheckpointedRingCase : HeadlineCase
{
    /// <summary>Time between interval checkpoints.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private const ulong LayoutFingerprint = 0xBE4C_E2E0_0000_0002UL;

    private readonly long[] _positions;
    private DurablePipeline<HeadlineOrder, OrderTime>? _pipeline;
    private WindowedAggregator<HeadlineOrder, long, DailyProductRevenue.State, DailyProductRevenue, DailyProductRevenue.Spec>? _op;
    private TotalsSink _sink = new();
    private string? _directory;

    /// <summary>Creates the case for <paramref name="count"/> orders (their positions are made once, here).</summary>
    public CheckpointedRingCase(int count)
    {
        _positions = new long[count];
        for (var i = 0; i < count; i++) _positions[i] = i;
    }

    /// <inheritdoc/>
    public override string Name => "ring-checkpoints";

    /// <inheritdoc/>
    public override HeadlineTotals Totals
    {
        get
        {
            var t = _sink.Totals;
            t.Late = _op?.LateEvents ?? 0;
            return t;
        }
    }

    /// <summary>Checkpoints completed in the last run (interval ones and the final one).</summary>
    public long Checkpoints { get; private set; }

    /// <summary>Statistics of the last run's last checkpoint.</summary>
    public CheckpointStats? LastStats { get; private set; }

    /// <inheritdoc/>
    public override void Prepare()
    {
        _directory = Path.Combine(Path.GetTempPath(), "kernel-bench-pipeline-" + Guid.NewGuid().ToString("N"));
        _sink = new TotalsSink();
        var participant = new OperatorParticipant("daily");
        _op = new(_sink, null, new WindowOptions
        {
            Clock = SystemClock.Instance, InitialCapacity = HeadlineData.Products * 2, PreallocatedWindows = 4, Control = participant,
        });
        participant.Bind(_op);
        _pipeline = new DurablePipeline<HeadlineOrder, OrderTime>(new DurablePipelineOptions
        {
            DataDirectory = _directory, EventLayoutFingerprint = LayoutFingerprint, RingSize = 1 << 16, CheckpointInterval = Interval,
        });
        _pipeline.SetOperator("daily", _op, participant);
        _pipeline.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override void Run(HeadlineOrder[] orders)
    {
        var pipeline = _pipeline!;
        pipeline.PublishAsync(orders, _positions.AsMemory(0, orders.Length), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        pipeline.CompleteAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override void Cleanup()
    {
        if (_pipeline is not null)
        {
            Checkpoints = _pipeline.Coordinator.LastCompletedCheckpointId;
            LastStats = _pipeline.Coordinator.LastCompletedStats;
            _pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _pipeline = null;
        }
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
            _directory = null;
        }
    }
}
