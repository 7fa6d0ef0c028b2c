using Kernel.Checkpoints;
using Kernel.Journal;
using Kernel.Operators;
using Kernel.Pipelines;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Runtime;

/// <summary>Two sources into one durable pipeline: each journaled with its id, resumed from its own position, both ended by CompleteAsync.</summary>
public sealed class DurableSourcesS17Tests : IDisposable
{
    private readonly TempDirectory _dir = new("s17-sources");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task TwoSources_ResumeFromTheirOwnPositions_AndCompleteFiresBoth()
    {
        var first = new Rows();
        await using (var run = Pipeline(first))
        {
            await run.StartAsync(default).WaitAsync(RuntimeTestSupport.Timeout);
            await run.SourceTarget(0).PublishAsync(new[] { Order.Of(1, 5), Order.Of(1, 25) }, new long[] { 10, 20 }, default);
            await run.SourceTarget(1).PublishAsync(new[] { Order.Of(2, 3) }, new long[] { 7 }, default);
            var checkpoint = await run.CheckpointAsync(default).WaitAsync(RuntimeTestSupport.Timeout);
            Assert.Equal(CheckpointOutcome.Completed, checkpoint.Outcome);
            Assert.Throws<ArgumentOutOfRangeException>(() => run.SourceTarget(2));
        }
        var second = new Rows();
        await using (var run = Pipeline(second))
        {
            var recovery = await run.StartAsync(default).WaitAsync(RuntimeTestSupport.Timeout);
            Assert.Equal(20, recovery.ResumePosition(0));
            Assert.Equal(7, recovery.ResumePosition(1));
            await run.SourceTarget(1).PublishAsync(new[] { Order.Of(2, 12) }, new long[] { 9 }, default);   // W1 = 11, W = 11
            await run.CompleteAsync(default).WaitAsync(RuntimeTestSupport.Timeout);
        }
        // The restored state holds both sources' events; end of input fires every window of both.
        Assert.Equal(new[] { "1@0-10:1", "1@20-30:1", "2@0-10:1", "2@10-20:1" }, second.Lines());
    }

    private DurablePipeline<Order, OrderTime> Pipeline(Rows rows)
    {
        var participant = new OperatorParticipant("op");
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(rows, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            MaxOutOfOrdernessMs = 0, Sources = 2, Clock = new ManualClock(), Control = participant,
        });
        participant.Bind(op);
        var pipeline = new DurablePipeline<Order, OrderTime>(new DurablePipelineOptions
        {
            DataDirectory = _dir.Path, EventLayoutFingerprint = 0x5017, RingSize = 1 << 8, Sources = 2,
            CheckpointInterval = TimeSpan.FromHours(1), IncrementalCheckpoints = false,
        });
        pipeline.SetOperator("op", op, participant);
        return pipeline;
    }

    private sealed class Rows : IRowSink<RevenueRow>
    {
        private readonly List<string> _lines = [];

        public void OnRow(in RevenueRow row, in RowRevision revision)
        {
            if (!revision.IsFinal) return;
            lock (_lines) _lines.Add($"{row.ProductId}@{row.WindowStartMs}-{row.WindowEndMs}:{row.Orders}");
        }

        public string[] Lines()
        {
            lock (_lines) return _lines.Order(StringComparer.Ordinal).ToArray();
        }
    }

    private readonly struct OrderTime : IEventTimestamp<Order>
    {
        public long TimestampOf(in Order e) => e.TimestampMs;
    }
}
