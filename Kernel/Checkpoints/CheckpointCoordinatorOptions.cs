using System.Diagnostics.Metrics;

namespace Kernel.Checkpoints;

/// <summary>Settings of a <see cref="CheckpointCoordinator"/>.</summary>
public sealed class CheckpointCoordinatorOptions
{
    /// <summary>How long participants and sinks have to snapshot and pre-commit before the checkpoint is aborted. Default 60 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many complete checkpoints to keep; older ones are deleted after each completed checkpoint. Default 3, at least 1.</summary>
    public int KeepLast { get; set; } = 3;

    /// <summary>The clock for manifest times and durations; <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The meter the checkpoint instruments are created on; by default a shared meter named <c>Kernel</c>.</summary>
    public Meter? Meter { get; set; }
}
