using Kernel.Runtime;
using Microsoft.Extensions.Hosting;

namespace Kernel.Hosting;

/// <summary>
/// Starts the registered <see cref="StreamKernel{TEvent}"/> with the host and, when the host
/// stops, drains what was published and stops it (halting it if the host's stop timeout fires first).
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class KernelHostedService<TEvent> : IHostedService
{
    private readonly StreamKernel<TEvent> _kernel;

    /// <summary>Creates the service for <paramref name="kernel"/>.</summary>
    public KernelHostedService(StreamKernel<TEvent> kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        _kernel = kernel;
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _kernel.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => _kernel.StopAsync(cancellationToken);
}
