using Kernel.Sources;

namespace Kernel.Tests.Sources.Support;

/// <summary>Copies every batch it is handed; signals once it holds <see cref="ExpectedCount"/> events.</summary>
public sealed class CollectingTarget<T> : ISourceTarget<T>
{
    private readonly object _gate = new();
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CollectingTarget(int expectedCount = int.MaxValue) => ExpectedCount = expectedCount;

    public int ExpectedCount { get; }

    public List<T> Events { get; } = new();

    public List<long> Positions { get; } = new();

    public List<int> BatchSizes { get; } = new();

    /// <summary>Completes when <see cref="ExpectedCount"/> events have arrived.</summary>
    public Task Reached => _reached.Task;

    public ValueTask PublishAsync(ReadOnlyMemory<T> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        Assert.Equal(events.Length, positions.Length);
        lock (_gate)
        {
            Events.AddRange(events.Span);
            Positions.AddRange(positions.Span);
            BatchSizes.Add(events.Length);
            if (Events.Count >= ExpectedCount) _reached.TrySetResult();
        }
        return default;
    }
}
