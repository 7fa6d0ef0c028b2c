namespace Kernel.Sources;

/// <summary>
/// Lets several read loops (a TCP source's connections) share one target that takes one batch
/// at a time: publishes are serialized by a semaphore, paid per batch, never per event.
/// </summary>
internal sealed class SerializedTarget<T, TTarget> : ISourceTarget<T>
    where TTarget : ISourceTarget<T>
{
    private readonly TTarget _inner;
    // Held for the whole of one inner publish; released when it completes or throws.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public SerializedTarget(TTarget inner) => _inner = inner;

    public ValueTask PublishAsync(ReadOnlyMemory<T> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        if (!_gate.Wait(0, CancellationToken.None)) return PublishContendedAsync(events, positions, cancellationToken);
        ValueTask pending;
        try
        {
            pending = _inner.PublishAsync(events, positions, cancellationToken);
        }
        catch
        {
            _gate.Release();
            throw;
        }
        if (!pending.IsCompleted) return ReleaseWhenDoneAsync(pending);
        try
        {
            pending.GetAwaiter().GetResult();
        }
        finally
        {
            _gate.Release();
        }
        return default;
    }

    private async ValueTask PublishContendedAsync(ReadOnlyMemory<T> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _inner.PublishAsync(events, positions, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask ReleaseWhenDoneAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
