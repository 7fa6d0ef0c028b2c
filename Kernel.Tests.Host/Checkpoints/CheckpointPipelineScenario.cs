using System.Buffers;
using System.Globalization;
using System.Text;
using Kernel.Checkpoints;
using Kernel.Sinks;

namespace Kernel.Tests.Host.Checkpoints;

/// <summary>
/// A fake pipeline for kill tests: a numbered source, a running (count, sum) operator and a
/// transactional CSV sink, checkpointed every few rows through the real store and coordinator.
/// Args: <c>&lt;data dir&gt; &lt;total rows&gt; &lt;rows per epoch&gt; &lt;keep last&gt;</c>. Arm a crash with
/// <c>KERNEL_CRASH_AT</c>; restart with the same arguments to recover and finish. Exit codes: 0 done,
/// 3 restored state disagrees with the restored source position, 4 a checkpoint aborted.
/// The expected output, which the test computes on its own, is the header and row i for every i.
/// </summary>
public sealed class CheckpointPipelineScenario : IChildScenario
{
    /// <summary>The CSV header of the output.</summary>
    public const string Header = "seq,product,amount";

    /// <inheritdoc />
    public string Name => "checkpoint-pipeline";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var dataDir = args[0];
        var total = long.Parse(args[1], CultureInfo.InvariantCulture);
        var perEpoch = long.Parse(args[2], CultureInfo.InvariantCulture);
        var keepLast = int.Parse(args[3], CultureInfo.InvariantCulture);
        return RunAsync(dataDir, total, perEpoch, keepLast).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string dataDir, long total, long perEpoch, int keepLast)
    {
        Directory.CreateDirectory(dataDir);
        var logger = new StderrLogger();
        var store = new CheckpointStore(dataDir, logger);
        var source = new SourcePosition();
        var sum = new RunningSum();
        using var sink = new TransactionalFileSink<PipelineRow>(Path.Combine(dataDir, "out.csv"),
            RowFormatter.Create<PipelineRow>(Header, PipelineRow.Write), "out", logger);
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = keepLast }, logger);
        coordinator.Register(source);
        coordinator.Register(sum);
        coordinator.RegisterSink(sink);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var load = await coordinator.RecoverAsync(timeout.Token);
        foreach (var message in load.Diagnostics) Console.Error.WriteLine("fallback: " + message);
        var position = source.Position;
        if (sum.Count != position || sum.Sum != PipelineRow.SumBefore(position))
        {
            Console.Error.WriteLine($"restored sum ({sum.Count}, {sum.Sum}) disagrees with source position {position}");
            return 3;
        }
        Console.WriteLine($"resumed at {position} from checkpoint {load.Manifest?.CheckpointId ?? 0}");

        while (position < total)
        {
            var row = PipelineRow.At(position);
            sink.Write(row);
            sum.Add(row);
            source.Position = ++position;
            CrashPoints.Hit("mid-epoch");
            if (position % perEpoch != 0 && position != total) continue;

            // The barrier: in this single-threaded pipeline every participant is already at it.
            var id = coordinator.ReserveCheckpointId();
            sink.SealEpoch(id);
            var result = await coordinator.OnBarrierInjectedAsync(id, position, timeout.Token);
            if (result.Outcome != CheckpointOutcome.Completed)
            {
                Console.Error.WriteLine($"checkpoint {id} aborted: {result.Failure}");
                return 4;
            }
        }
        Console.WriteLine($"done at {position}");
        return 0;
    }

    /// <summary>The source: its position is the number of rows read.</summary>
    private sealed class SourcePosition : ICheckpointParticipant
    {
        public long Position { get; set; }

        public string Name => "source";

        public ValueTask SnapshotAsync(CheckpointContext context, CancellationToken cancellationToken)
        {
            context.SetSourcePosition(0, Position);
            return ValueTask.CompletedTask;
        }

        public ValueTask RestoreAsync(CheckpointRestoreContext context, CancellationToken cancellationToken)
        {
            Position = context.Manifest.SourcePositions[0];
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>An operator with state in a file of its own in the checkpoint directory.</summary>
    private sealed class RunningSum : ICheckpointParticipant
    {
        public long Count { get; private set; }

        public long Sum { get; private set; }

        public string Name => "sum";

        public void Add(in PipelineRow row)
        {
            Count++;
            Sum += row.Amount;
        }

        public async ValueTask SnapshotAsync(CheckpointContext context, CancellationToken cancellationToken)
        {
            await File.WriteAllTextAsync(context.GetStatePath("sum.state"),
                string.Create(CultureInfo.InvariantCulture, $"{Count} {Sum}"), cancellationToken);
            context.ReportKeysWritten(1);
        }

        public async ValueTask RestoreAsync(CheckpointRestoreContext context, CancellationToken cancellationToken)
        {
            var parts = (await File.ReadAllTextAsync(context.GetStatePath("sum.state"), cancellationToken)).Split(' ');
            Count = long.Parse(parts[0], CultureInfo.InvariantCulture);
            Sum = long.Parse(parts[1], CultureInfo.InvariantCulture);
        }
    }
}
