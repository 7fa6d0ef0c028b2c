using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace Kernel.Tests.Runtime;

/// <summary>
/// A minimal container for the hosting tests (the test project references only the DI
/// abstractions): singletons only, closed and open generic registrations, IEnumerable&lt;T&gt;.
/// </summary>
internal sealed class TestServiceProvider(IServiceCollection services) : IServiceProvider, IDisposable
{
    private readonly ServiceDescriptor[] _descriptors = [.. services];
    private readonly ConcurrentDictionary<(ServiceDescriptor, Type), object> _singletons = new();

    public object? GetService(Type serviceType)
    {
        if (serviceType == typeof(IServiceProvider))
            return this;
        if (serviceType.IsGenericType && serviceType.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var element = serviceType.GetGenericArguments()[0];
            var matches = _descriptors.Where(d => Matches(d, element)).ToArray();
            var array = Array.CreateInstance(element, matches.Length);
            for (var i = 0; i < matches.Length; i++)
                array.SetValue(Resolve(matches[i], element), i);
            return array;
        }
        var descriptor = _descriptors.LastOrDefault(d => Matches(d, serviceType));
        return descriptor is null ? null : Resolve(descriptor, serviceType);
    }

    private static bool Matches(ServiceDescriptor d, Type type) =>
        d.ServiceType == type ||
        (d.ServiceType.IsGenericTypeDefinition && type.IsGenericType && type.GetGenericTypeDefinition() == d.ServiceType);

    private object Resolve(ServiceDescriptor d, Type type) =>
        _singletons.GetOrAdd((d, type), key =>
        {
            var (descriptor, serviceType) = key;
            if (descriptor.ImplementationInstance is not null)
                return descriptor.ImplementationInstance;
            if (descriptor.ImplementationFactory is not null)
                return descriptor.ImplementationFactory(this);
            var implementation = descriptor.ImplementationType!;
            if (implementation.IsGenericTypeDefinition)
                implementation = implementation.MakeGenericType(serviceType.GetGenericArguments());
            return Construct(implementation);
        });

    /// <summary>The public constructor with the most parameters that all resolve (what a real container does).</summary>
    private object Construct(Type implementation)
    {
        foreach (var ctor in implementation.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var parameters = ctor.GetParameters();
            var args = new object?[parameters.Length];
            var ok = true;
            for (var i = 0; i < parameters.Length && ok; i++)
            {
                args[i] = GetService(parameters[i].ParameterType);
                if (args[i] is null)
                {
                    if (parameters[i].HasDefaultValue)
                        args[i] = parameters[i].DefaultValue;
                    else
                        ok = false;
                }
            }
            if (ok)
                return ctor.Invoke(args);
        }
        throw new InvalidOperationException($"no constructor of {implementation} can be satisfied");
    }

    public void Dispose()
    {
        foreach (var s in _singletons.Values)
        {
            if (s is IDisposable d && !ReferenceEquals(s, this))
                d.Dispose();
        }
    }
}
