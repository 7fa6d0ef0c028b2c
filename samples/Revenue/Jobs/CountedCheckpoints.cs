using Kernel.Pipelines;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// Passes a source's batches on to <paramref name="inner"/> and, each time the orders passed on reach
/// another multiple of <paramref name="everyOrders"/>, takes a checkpoint and waits for it before the
/// next batch (<c>--checkpoint-every</c>). These checkpoints fall at points of the input, not of time:
/// a run passes at least input / <paramref name="everyOrders"/> of them however slow the machine is,
/// which fault-injection tests that kill a run at its n-th checkpoint step rely on. Interval checkpoints
/// go on besides.
/// </summary>
public sealed class CountedCheckpoints(ISourceTarget<Order> inner, DurablePipeline<Order, OrderTime> pipeline, long everyOrders) : ISourceTarget<Order>
{
    private long _passed;

    /// <inheritdoc />
    public async ValueTask PublishAsync(ReadOnlyMemory<Order> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        await inner.PublishAsync(events, positions, cancellationToken).ConfigureAwait(false);
        var before = _passed / everyOrders;
        _passed += events.Length;
        // An aborted checkpoint faults the pipeline: the next publish throws, as after an interval one.
        if (_passed / everyOrders > before) await pipeline.CheckpointAsync(cancellationToken).ConfigureAwait(false);
    }
}
