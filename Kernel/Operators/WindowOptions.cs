using Kernel.Time;

namespace Kernel.Operators;

/// <summary>
/// Runtime settings of a <see cref="WindowedAggregator{TEvent, TKey, TState, TRow, TSpec}"/>. Every
/// nullable setting overrides the value the aggregation declared (its <c>WindowSpec</c>) when set.
/// </summary>
public sealed class WindowOptions
{
    /// <summary>Replaces the declared window settings as a whole (the individual overrides below still apply on top).</summary>
    public WindowSpec? Window { get; init; }

    /// <summary>Overrides the declared bounded out-of-orderness (ms).</summary>
    public long? MaxOutOfOrdernessMs { get; init; }

    /// <summary>Overrides the declared idle timeout (ms of processing time; 0 = never idle).</summary>
    public long? IdleTimeoutMs { get; init; }

    /// <summary>Overrides the declared allowed lateness (ms).</summary>
    public long? AllowedLatenessMs { get; init; }

    /// <summary>Overrides the declared emit mode.</summary>
    public EmitMode? Emit { get; init; }

    /// <summary>Overrides the declared periodic emission interval (ms of processing time).</summary>
    public long? EmitIntervalMs { get; init; }

    /// <summary>The number of sources whose watermarks combine (source ids 0 … Sources − 1). Default 1.</summary>
    public int Sources { get; init; } = 1;

    /// <summary>When the watermark moves: after every record (default, deterministic) or periodically.</summary>
    public WatermarkAdvance WatermarkAdvance { get; init; } = WatermarkAdvance.PerRecord;

    /// <summary>The period of <see cref="WatermarkAdvance.Periodic"/> watermarks (ms of processing time). Default 200.</summary>
    public long WatermarkIntervalMs { get; init; } = 200;

    /// <summary>Processing time (idle sources, periodic watermarks and emission). Default: the system clock.</summary>
    public IClock? Clock { get; init; }

    /// <summary>Keys per window to size tables for before their first growth. Default 1024.</summary>
    public int InitialCapacity { get; init; } = 1024;

    /// <summary>
    /// Window tables to allocate up front (each sized for <see cref="InitialCapacity"/> keys), so that the
    /// first windows of a stream allocate nothing either. Default 0: tables are allocated on first use
    /// and then pooled.
    /// </summary>
    public int PreallocatedWindows { get; init; }

    /// <summary>Told about barriers met in the ring.</summary>
    public IControlListener? Control { get; init; }

    /// <summary>
    /// The most (key, window) entries to keep in memory; 0 (the default) for no budget. Past it, at a
    /// checkpoint barrier, fired windows still inside their allowed lateness whose entries the last
    /// checkpoint already wrote to the LSM store are dropped from memory, oldest first; an allowed-late
    /// event, a query or the window's release reads them back from the store. Needs incremental
    /// checkpoints: <see cref="Control"/> must be an <see cref="Kernel.Checkpoints.OperatorParticipant"/>
    /// (a durable pipeline's). See <c>docs/state-and-memory.md</c>.
    /// </summary>
    public long StateBudgetEntries { get; init; }

    /// <summary>The declared settings with the overrides applied.</summary>
    public WindowSpec Resolve(in WindowSpec declared)
    {
        var w = Window ?? declared;
        return w with
        {
            MaxOutOfOrdernessMs = MaxOutOfOrdernessMs ?? w.MaxOutOfOrdernessMs,
            IdleTimeoutMs = IdleTimeoutMs ?? w.IdleTimeoutMs,
            AllowedLatenessMs = AllowedLatenessMs ?? w.AllowedLatenessMs,
            Emit = Emit ?? w.Emit,
            EmitIntervalMs = EmitIntervalMs ?? w.EmitIntervalMs,
        };
    }
}
