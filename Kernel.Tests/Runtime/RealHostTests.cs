using Kernel.Hosting;
using Kernel.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kernel.Tests.Runtime;

/// <summary><c>services.AddKernel(...)</c> under the real generic host (<c>Host.CreateApplicationBuilder()</c>), not a hand-made container.</summary>
public sealed class RealHostTests
{
    [Fact]
    public async Task ApplicationBuilder_StartsTheKernel_AndStopDrainsWhatWasPublished()
    {
        var recorder = new TickRecorder();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddKernel<Tick>(o => o.RingSize = 64).AddHandler("recorder", _ => recorder);
        using var host = builder.Build();
        await host.StartAsync();
        var kernel = host.Services.GetRequiredService<StreamKernel<Tick>>();
        for (var i = 0; i < 1_000; i++) kernel.Publish(new Tick(i));
        await host.StopAsync();
        Assert.Equal(Enumerable.Range(0, 1_000).Select(i => (long)i).ToArray(), recorder.EventNumbers());
        Assert.True(kernel.Completion.IsCompletedSuccessfully);
    }
}
