using System.Diagnostics;
using Kernel.Runtime;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// Publishes a source's batches into the kernel's ring. When the ring is full the publish waits,
/// so the source stops reading: backpressure runs from the operator back to the file. With a
/// rate, batches are paced to that many orders per second (for demos and tests).
/// </summary>
public sealed class KernelTarget(StreamKernel<Order> kernel, long ordersPerSecond) : ISourceTarget<Order>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _published;

    /// <summary>Orders published so far.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <inheritdoc />
    public async ValueTask PublishAsync(ReadOnlyMemory<Order> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        if (ordersPerSecond > 0)
        {
            var due = TimeSpan.FromSeconds((double)(_published + events.Length) / ordersPerSecond) - _clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken).ConfigureAwait(false);
        }
        kernel.Publish(events.Span);
        Volatile.Write(ref _published, _published + events.Length);
    }
}
