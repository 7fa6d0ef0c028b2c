using Kernel.Sources;

namespace Kernel.Tests.Sources.Support;

/// <summary>Counts events and remembers the last position; allocates nothing per batch.</summary>
public sealed class CountingTarget<T> : ISourceTarget<T>
{
    public long Count { get; private set; }

    public long LastPosition { get; private set; }

    public ValueTask PublishAsync(ReadOnlyMemory<T> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        Count += events.Length;
        LastPosition = positions.Span[^1];
        return default;
    }
}
