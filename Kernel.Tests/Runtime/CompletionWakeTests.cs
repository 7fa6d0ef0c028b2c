using Kernel.Ring;
using Kernel.Runtime;

namespace Kernel.Tests.Runtime;

/// <summary>
/// The pipeline's completion is set by the last processor thread as it exits, and its continuations run
/// there (not through a thread-pool hop), so a caller blocked on <c>CompleteAsync</c> is woken by that thread.
/// </summary>
public sealed class CompletionWakeTests
{
    [Fact]
    public async Task CompletionContinuation_RunsOnTheExitingProcessorThread()
    {
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 64, ProducerType = ProducerType.Single });
        kernel.AddHandler("recorder", new TickRecorder());
        kernel.Start();
        var thread = kernel.Completion.ContinueWith(_ => Thread.CurrentThread.Name, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        for (var i = 0; i < 100; i++) kernel.Publish(new Tick(i));
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        var name = await thread.WaitAsync(RuntimeTestSupport.Timeout);
        Assert.NotNull(name);
        Assert.StartsWith("ring-0-", name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContinuationThatDisposesTheKernel_OnTheProcessorThread_Completes()
    {
        var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 64, ProducerType = ProducerType.Single });
        var recorder = new TickRecorder();
        kernel.AddHandler("recorder", recorder);
        kernel.Start();
        var disposed = kernel.Completion.ContinueWith(_ => kernel.DisposeAsync().AsTask().GetAwaiter().GetResult(),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        for (var i = 0; i < 100; i++) kernel.Publish(new Tick(i));
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        await disposed.WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), recorder.EventNumbers());
    }
}
