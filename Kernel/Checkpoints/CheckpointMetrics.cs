using System.Diagnostics.Metrics;

namespace Kernel.Checkpoints;

/// <summary>
/// The checkpoint instruments on the <c>Kernel</c> meter: <c>kernel.checkpoint.duration</c> and
/// <c>kernel.checkpoint.pause</c> (histograms, ms), <c>kernel.checkpoint.bytes</c> and
/// <c>kernel.checkpoint.keys</c> (counters), <c>kernel.checkpoint.completed</c> and
/// <c>kernel.checkpoint.aborted</c> (counters).
/// </summary>
internal sealed class CheckpointMetrics
{
    private static readonly Meter s_shared = new("Kernel");

    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _pause;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _keys;
    private readonly Counter<long> _completed;
    private readonly Counter<long> _aborted;

    public CheckpointMetrics(Meter? meter)
    {
        meter ??= s_shared;
        _duration = meter.CreateHistogram<double>("kernel.checkpoint.duration", "ms", "Time from barrier injection to a durable manifest.");
        _pause = meter.CreateHistogram<double>("kernel.checkpoint.pause", "ms", "Longest hot-path pause a participant reported for a checkpoint.");
        _bytes = meter.CreateCounter<long>("kernel.checkpoint.bytes", "By", "Bytes written by completed checkpoints.");
        _keys = meter.CreateCounter<long>("kernel.checkpoint.keys", "{key}", "State entries written by completed checkpoints.");
        _completed = meter.CreateCounter<long>("kernel.checkpoint.completed", "{checkpoint}", "Checkpoints completed.");
        _aborted = meter.CreateCounter<long>("kernel.checkpoint.aborted", "{checkpoint}", "Checkpoints aborted.");
    }

    public void Completed(in CheckpointStats stats)
    {
        _duration.Record(stats.Duration.TotalMilliseconds);
        _pause.Record(stats.Pause.TotalMilliseconds);
        _bytes.Add(stats.BytesWritten);
        _keys.Add(stats.KeysWritten);
        _completed.Add(1);
    }

    public void Aborted() => _aborted.Add(1);
}
