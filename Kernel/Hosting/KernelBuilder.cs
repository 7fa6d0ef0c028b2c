using Kernel.Ring;
using Microsoft.Extensions.DependencyInjection;

namespace Kernel.Hosting;

/// <summary>
/// Attaches handlers to the <see cref="Runtime.StreamKernel{TEvent}"/> registered by
/// <see cref="KernelServiceCollectionExtensions.AddKernel{TEvent}"/>; handlers are resolved
/// when the kernel is first resolved, and attached in the order they were added here.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class KernelBuilder<TEvent>
{
    private readonly List<HandlerRegistration> _handlers = [];

    internal KernelBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the kernel is registered in.</summary>
    public IServiceCollection Services { get; }

    internal IReadOnlyList<HandlerRegistration> Handlers => _handlers;

    /// <summary>
    /// Adds a handler created from the container (its constructor's dependencies resolved),
    /// named <paramref name="name"/> (null: the type's name), running after the handlers named in <paramref name="after"/>.
    /// </summary>
    public KernelBuilder<TEvent> AddHandler<THandler>(string? name = null, params string[] after)
        where THandler : class, IBatchHandler<TEvent> =>
        AddHandler(name ?? typeof(THandler).Name, sp => ActivatorUtilities.GetServiceOrCreateInstance<THandler>(sp), after);

    /// <summary>Adds a handler made by <paramref name="factory"/>, running after the handlers named in <paramref name="after"/>.</summary>
    public KernelBuilder<TEvent> AddHandler(string name, Func<IServiceProvider, IBatchHandler<TEvent>> factory, params string[] after)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(after);
        _handlers.Add(new HandlerRegistration(name, factory, after));
        return this;
    }

    internal sealed record HandlerRegistration(string Name, Func<IServiceProvider, IBatchHandler<TEvent>> Factory, string[] After);
}
