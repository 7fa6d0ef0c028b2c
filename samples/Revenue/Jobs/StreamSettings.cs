using Kernel.Sources;

namespace Revenue.Jobs;

/// <summary>What <c>revenue stream</c> runs with.</summary>
public sealed record StreamSettings
{
    /// <summary>orders.csv, or <c>-</c> for standard input.</summary>
    public required string Input { get; init; }

    /// <summary>The data directory (journal, checkpoints).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>revenue.csv.</summary>
    public required string Output { get; init; }

    /// <summary>Where late orders go, in the input format; null keeps only their count.</summary>
    public string? LateOutput { get; init; }

    /// <summary>Bounded out-of-orderness of the watermark; by default the declaration's (<c>[Watermark]</c> on <see cref="Model.DailyRevenue"/>).</summary>
    public long OutOfOrdernessMs { get; init; } = Model.DailyRevenue.Spec.Window.MaxOutOfOrdernessMs;

    /// <summary>Allowed lateness after a day closes; by default the declaration's (<c>[AllowedLateness]</c> on <see cref="Model.DailyRevenue"/>).</summary>
    public long LatenessMs { get; init; } = Model.DailyRevenue.Spec.Window.AllowedLatenessMs;

    /// <summary>Interval between checkpoints.</summary>
    public long CheckpointIntervalMs { get; init; } = 1000;

    /// <summary>
    /// Also take a checkpoint each time the orders read reach another multiple of this, and wait for
    /// it before reading on (0: interval checkpoints only). Such checkpoints fall at the same points of
    /// the input however loaded the machine is, so a run passes at least input / N of them.
    /// </summary>
    public long CheckpointEveryOrders { get; init; }

    /// <summary>
    /// (product, day) entries kept in memory (0: no budget); entries of closed days still inside
    /// their lateness leave for the state store at checkpoints (docs/state-and-memory.md).
    /// </summary>
    public long StateBudgetEntries { get; init; }

    /// <summary>Complete checkpoints kept on disk; older ones are pruned.</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Orders per second to pace the input at; 0 = as fast as possible.</summary>
    public long Rate { get; init; }

    /// <summary>What a bad line does.</summary>
    public BadRecordPolicy BadRecords { get; init; } = BadRecordPolicy.Fail;
}
