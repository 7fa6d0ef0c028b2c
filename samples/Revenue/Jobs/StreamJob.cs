using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Pipelines;
using Kernel.Queries;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// <c>revenue stream</c>: orders flow through the ring — journaled first — into the generated
/// daily-revenue operator in event time, the watermark advanced per record in file order. Final rows
/// and late orders go to exactly-once sinks in the data directory, committed at every checkpoint
/// (<c>--checkpoint-interval</c>). Killed at any moment and started again with the same arguments,
/// the job resumes from its data directory; when the input ends, a final checkpoint commits
/// everything and revenue.csv (sorted by day, product) and late.csv are written from the committed
/// outputs, byte for byte what an uninterrupted run writes.
/// </summary>
/// <remarks>
/// A data directory belongs to one input: started on another file it would resume at the old
/// file's position. Standard input cannot be resumed: after a restart, what is read from it is
/// taken as the continuation of what the journal holds.
/// </remarks>
public sealed class StreamJob : IDisposable
{
    private readonly StreamSettings _settings;
    private readonly CommittedOutputs _outputs;
    private readonly OperatorParticipant _participant = new("daily-revenue");

    /// <summary>Prepares a run.</summary>
    public StreamJob(StreamSettings settings)
    {
        _settings = settings;
        Table = new RevenueTable();
        Late = new LateTally();
        _outputs = new CommittedOutputs(settings.DataDirectory, Table, Late);
        _participant.OnBarrierSeal(_outputs.SealEpoch);
        Operator = new DailyOperator(_outputs, _outputs,
            new WindowOptions
            {
                MaxOutOfOrdernessMs = settings.OutOfOrdernessMs,
                AllowedLatenessMs = settings.LatenessMs,
                Control = _participant,
                StateBudgetEntries = settings.StateBudgetEntries,
            });
        _participant.Bind(Operator);
        View = new WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>(Operator);
    }

    /// <summary>
    /// The final rows: while the job runs, the rows this process produced (not yet committed); once
    /// <see cref="RunAsync"/> returns, every committed row, including those of earlier runs over the same data directory.
    /// </summary>
    public RevenueTable Table { get; private set; }

    /// <summary>The late orders (live while running; the committed ones once <see cref="RunAsync"/> returns).</summary>
    public LateTally Late { get; private set; }

    /// <summary>The operator (its watermark and counters may be read for display while it runs).</summary>
    public DailyOperator Operator { get; }

    /// <summary>
    /// The operator's live state, queryable from any thread while the job runs (the ring feeds the
    /// operator through this view): the open days' uncommitted rows, e.g. today's top products.
    /// </summary>
    public WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec> View { get; }

    /// <summary>The event-time settings of the run.</summary>
    public StreamSettings Settings => _settings;

    /// <summary>The source's progress, once the run has started.</summary>
    public SourceProgress? Progress { get; private set; }

    /// <summary>What recovery found, once the run has started.</summary>
    public PipelineRecovery? Recovery { get; private set; }

    /// <summary>The newest completed checkpoint's id and stats (for display), once one has completed.</summary>
    public (long Id, CheckpointStats? Stats) LastCheckpoint =>
        Volatile.Read(ref _coordinator) is { } c ? (c.LastCompletedCheckpointId, c.LastCompletedStats) : (0, null);

    private CheckpointCoordinator? _coordinator;

    /// <summary>Closes the outputs (the results table's store and lock) of a job that was never run; <see cref="RunAsync"/> closes them itself.</summary>
    public void Dispose() => _outputs.Dispose();

    /// <summary>Runs the input to its end (resuming from the data directory) and writes the outputs.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.Combine(_settings.DataDirectory, "out"));
        DataDirectory.WriteSettings(_settings.DataDirectory, _settings.OutOfOrdernessMs, _settings.LatenessMs);
        var options = new SourceOptions { HasHeader = true, BadRecordPolicy = _settings.BadRecords };
        using (_outputs)
        {
            await using (var pipeline = new DurablePipeline<Order, OrderTime>(new DurablePipelineOptions
            {
                DataDirectory = _settings.DataDirectory,
                EventLayoutFingerprint = DataDirectory.OrderLayout,
                JournalSegmentBytes = DataDirectory.JournalSegmentBytes,
                // The journal is kept whole, an archive of the input: `revenue replay` reads it from offset 0.
                TruncateJournal = false,
                Name = "revenue",
                CheckpointInterval = TimeSpan.FromMilliseconds(Math.Max(1, _settings.CheckpointIntervalMs)),
                KeepCheckpoints = _settings.KeepCheckpoints,
            }))
            {
                pipeline.SetOperator("daily-revenue", View, _participant);
                pipeline.AddSink(_outputs.Rows);
                pipeline.AddSink(_outputs.Late);
                pipeline.AddSink(_outputs.Results);
                var recovery = await pipeline.StartAsync(ct).ConfigureAwait(false);
                Recovery = recovery;
                Volatile.Write(ref _coordinator, pipeline.Coordinator);
                if (recovery.CheckpointId > 0 || recovery.EventsReplayed > 0)
                    Console.Error.WriteLine(
                        $"stream: recovered from checkpoint {recovery.CheckpointId}, replayed {recovery.EventsReplayed:N0} journaled orders, resuming the input at byte {recovery.ResumePosition()}");
                foreach (var message in recovery.Diagnostics) Console.Error.WriteLine("stream: " + message);
                Console.Error.WriteLine($"stream: reading {(_settings.Input == "-" ? "standard input" : _settings.Input)} from byte {recovery.ResumePosition()}");
                ISourceTarget<Order> target = new PacedTarget(pipeline, _settings.Rate);
                if (_settings.CheckpointEveryOrders > 0) target = new CountedCheckpoints(target, pipeline, _settings.CheckpointEveryOrders);
                if (_settings.Input == "-")
                {
                    var source = StreamSource<Order, OrderCsvParser>.FromStandardInput(options);
                    Progress = source.Progress;
                    await source.RunAsync(target, ct).ConfigureAwait(false);
                }
                else
                {
                    var source = new FileSource<Order, OrderCsvParser>(_settings.Input, options);
                    Progress = source.Progress;
                    await source.RunAsync(target, recovery.ResumePosition(), ct).ConfigureAwait(false);
                }
                // End of input: the watermark goes to +∞, every remaining day fires, a final checkpoint commits it all.
                await pipeline.CompleteAsync(ct).ConfigureAwait(false);
            }
            CrashPoints.Hit("before-outputs");
            Table = _outputs.ReadCommittedRows();
            Late = _outputs.ReadCommittedLate();
            if (_settings.LateOutput is { } latePath) _outputs.CopyLateTo(latePath);
            Table.WriteCsv(_settings.Output);
        }
    }
}
