using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Pipelines;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Operators.Specs;
using Kernel.Journal;
using static Kernel.Tests.Infrastructure.SalesTotals;

namespace Kernel.Tests.Pipelines;

/// <summary>
/// An unwindowed aggregation in a durable pipeline: checkpointed incrementally (with and without a
/// state budget), stopped after a checkpoint and more events, started again on its data directory — the
/// rows at the end equal a GROUP BY of the whole input, with nothing counted twice or lost.
/// </summary>
public sealed class KeyedDurablePipelineTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new("keyed-pipeline");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1, 0, 1_500, 2_600)]
    [InlineData(2, 5, 1_500, 2_600)]
    [InlineData(3, 50, 100, 3_900)]
    public async Task StopAfterCheckpoint_Restart_EndsAtTheGroupByOfTheWholeInput(int seed, int budget, int checkpointAt, int stopAt)
    {
        var what = $"seed {seed}, budget {budget}";
        var events = Events(new Random(seed), 4_000, sparse: seed % 2 == 0);
        var dir = Path.Combine(_dir.Path, $"run-{seed}");
        await using (var first = new Run(dir, budget))
        {
            await first.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            Assert.True(first.Participant.IsIncremental, what);
            await Publish(first.Pipeline, events, 0, checkpointAt);
            var checkpoint = await first.Pipeline.CheckpointAsync(default).WaitAsync(s_timeout);
            Assert.True(checkpoint.Outcome == CheckpointOutcome.Completed, $"{what}: {checkpoint.Failure}");
            await Publish(first.Pipeline, events, checkpointAt, stopAt);
        }
        await using (var second = new Run(dir, budget))
        {
            var recovery = await second.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            Assert.True(recovery.EventsReplayed == stopAt - checkpointAt, $"{what}: replayed {recovery.EventsReplayed}, journaled after the checkpoint {stopAt - checkpointAt}");
            var resumeAt = (int)recovery.ResumePosition();
            Assert.Equal(stopAt, resumeAt);
            await Publish(second.Pipeline, events, resumeAt, events.Length);
            await second.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
            // The kernel is drained; the final barrier spilled the idle keys when over budget.
            if (budget > 0) Assert.True(second.Operator.SpilledEntries > 0, $"{what}: nothing spilled");
            Assert.True(GroupBy(events).SequenceEqual(Rows(second.Operator)), $"{what}: the rows differ from the GROUP BY of the input");
            Assert.Equal(events.Length, second.Operator.EventsSeen);
        }
    }

    private static async Task Publish(DurablePipeline<Order, OrderTime> pipeline, Order[] events, int from, int to)
    {
        for (var i = from; i < to; i += 100)
        {
            var n = Math.Min(100, to - i);
            var positions = Enumerable.Range(i + 1, n).Select(p => (long)p).ToArray();
            await pipeline.PublishAsync(events.AsMemory(i, n), positions, default);
        }
    }

    private sealed class Run : IAsyncDisposable
    {
        public Run(string dir, int budget)
        {
            Directory.CreateDirectory(dir);
            Participant = new OperatorParticipant("totals");
            Operator = new KeyedAggregator<Order, long, SalesState, SalesTotalRow, SalesTotalSpec>(new KeyedAggregatorOptions { InitialCapacity = 16, Control = Participant, StateBudgetEntries = budget });
            Participant.Bind(Operator);
            Pipeline = new DurablePipeline<Order, OrderTime>(new DurablePipelineOptions
            {
                DataDirectory = dir, EventLayoutFingerprint = 0x0DE6, RingSize = 1 << 10,
                CheckpointInterval = TimeSpan.FromHours(1), KeepCheckpoints = 2,
            });
            Pipeline.SetOperator("totals", Operator, Participant);
        }

        public OperatorParticipant Participant { get; }

        public KeyedAggregator<Order, long, SalesState, SalesTotalRow, SalesTotalSpec> Operator { get; }

        public DurablePipeline<Order, OrderTime> Pipeline { get; }

        public ValueTask DisposeAsync() => Pipeline.DisposeAsync();
    }

    private readonly struct OrderTime : IEventTimestamp<Order>
    {
        public long TimestampOf(in Order e) => e.TimestampMs;
    }
}
