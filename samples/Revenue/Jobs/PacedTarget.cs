using System.Diagnostics;
using Kernel.Sources;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// Passes a source's batches on to <paramref name="inner"/>, paced to <paramref name="ordersPerSecond"/>
/// orders per second when that is positive (for demos and kill tests), and counts them.
/// </summary>
public sealed class PacedTarget(ISourceTarget<Order> inner, long ordersPerSecond) : ISourceTarget<Order>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _published;

    /// <summary>Orders passed on so far by this process.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <inheritdoc />
    public async ValueTask PublishAsync(ReadOnlyMemory<Order> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        if (ordersPerSecond > 0)
        {
            var due = TimeSpan.FromSeconds((double)(_published + events.Length) / ordersPerSecond) - _clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken).ConfigureAwait(false);
        }
        await inner.PublishAsync(events, positions, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _published, _published + events.Length);
    }
}
