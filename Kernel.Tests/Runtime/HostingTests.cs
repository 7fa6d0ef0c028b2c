using Kernel.Hosting;
using Kernel.Ring;
using Kernel.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kernel.Tests.Runtime;

public sealed class HostingTests
{
    /// <summary>A service counted by the handler below, to prove handlers get their dependencies from the container.</summary>
    private sealed class TickCounter
    {
        public long Events;
    }

    private sealed class CountingHandler(TickCounter counter) : IBatchHandler<Tick>
    {
        public void OnBatch(ReadOnlySpan<RingEntry<Tick>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                if (e.Kind == EntryKind.Event)
                    counter.Events++;
            }
        }
    }

    [Fact]
    public async Task AddKernel_HostedServiceStartsAndDrainsTheConfiguredKernel()
    {
        var recorder = new TickRecorder();
        var services = new ServiceCollection();
        services.AddSingleton<TickCounter>();
        services.AddKernel<Tick>(o =>
            {
                o.RingSize = 32;
                o.Name = "hosted";
            })
            .AddHandler("journal", _ => recorder)
            .AddHandler<CountingHandler>("counter", "journal");
        using var provider = new TestServiceProvider(services);

        var kernel = provider.GetRequiredService<StreamKernel<Tick>>();
        var hosted = Assert.Single(provider.GetServices<IHostedService>());
        Assert.IsType<KernelHostedService<Tick>>(hosted);
        Assert.Equal("hosted", kernel.Name);
        Assert.Equal(32, kernel.Ring.BufferSize);
        Assert.Equal(["journal", "counter"], kernel.Handlers.Select(h => h.Key));

        await hosted.StartAsync(CancellationToken.None);
        for (var i = 0; i < 1_000; i++)
            kernel.Publish(new Tick(i));
        await hosted.StopAsync(CancellationToken.None).WaitAsync(RuntimeTestSupport.Timeout);

        Assert.Equal(1_000, recorder.EventNumbers().Length);
        Assert.Equal(1_000, provider.GetRequiredService<TickCounter>().Events);
        Assert.True(kernel.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public void AddKernel_Twice_IsRefused()
    {
        var services = new ServiceCollection();
        services.AddKernel<Tick>();
        var ex = Assert.Throws<InvalidOperationException>(() => services.AddKernel<Tick>());
        Assert.Contains("StreamKernel<Tick>", ex.Message);
    }
}
