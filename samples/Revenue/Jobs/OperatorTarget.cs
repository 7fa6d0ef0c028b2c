using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>Feeds a source's batches straight into the operator: batch mode needs no ring.</summary>
public sealed class OperatorTarget(DailyOperator op) : ISourceTarget<Order>
{
    /// <inheritdoc />
    public ValueTask PublishAsync(ReadOnlyMemory<Order> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        op.Apply(events.Span);
        return ValueTask.CompletedTask;
    }
}
