using System.Diagnostics.Metrics;
using Kernel.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kernel.Hosting;

/// <summary>Registers a <see cref="StreamKernel{TEvent}"/> and its hosted service the usual way.</summary>
public static class KernelServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="StreamKernel{TEvent}"/> configured by
    /// <paramref name="configure"/> (named options, name = the event type's full name, so
    /// configuration binding works too) and a <see cref="KernelHostedService{TEvent}"/> that
    /// starts it with the host and drains it when the host stops. Add handlers on the result.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddKernel&lt;Order&gt;(o =&gt; o.RingSize = 1 &lt;&lt; 14)
    ///         .AddHandler&lt;JournalHandler&gt;("journal")
    ///         .AddHandler&lt;RevenueOperator&gt;("revenue", after: "journal");
    /// </code>
    /// </example>
    /// <exception cref="InvalidOperationException">A kernel of this event type is already registered.</exception>
    public static KernelBuilder<TEvent> AddKernel<TEvent>(this IServiceCollection services, Action<StreamKernelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(StreamKernel<TEvent>)))
            throw new InvalidOperationException($"A StreamKernel<{typeof(TEvent).Name}> is already registered; register one kernel per event type.");
        var optionsName = OptionsName<TEvent>();
        var options = services.AddOptions<StreamKernelOptions>(optionsName);
        if (configure is not null)
            options.Configure(configure);
        var builder = new KernelBuilder<TEvent>(services);
        services.AddSingleton(sp => CreateKernel(sp, builder, optionsName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, KernelHostedService<TEvent>>());
        return builder;
    }

    /// <summary>The options name a kernel of <typeparamref name="TEvent"/> reads (its full type name).</summary>
    public static string OptionsName<TEvent>() => typeof(TEvent).FullName ?? typeof(TEvent).Name;

    private static StreamKernel<TEvent> CreateKernel<TEvent>(IServiceProvider sp, KernelBuilder<TEvent> builder, string optionsName)
    {
        var options = sp.GetRequiredService<IOptionsMonitor<StreamKernelOptions>>().Get(optionsName);
        var kernel = new StreamKernel<TEvent>(options, sp.GetService<ILoggerFactory>(), sp.GetService<IMeterFactory>());
        foreach (var registration in builder.Handlers)
            kernel.AddHandler(registration.Name, registration.Factory(sp), registration.After);
        return kernel;
    }
}
