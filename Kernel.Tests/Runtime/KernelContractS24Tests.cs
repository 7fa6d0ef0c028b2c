using Kernel.Hosting;
using Kernel.Ring;
using Kernel.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kernel.Tests.Runtime;

/// <summary>
/// docs/ring.md's kernel claims that no other test pinned down (session 24's audit): the handler-failure log
/// records' event ids and sequences, the hosting options' name, the kernel's default idle interval reaching its
/// pipeline, and a cancelled stop leaving entries unhandled.
/// </summary>
public sealed class KernelContractS24Tests
{
    [Theory]
    [InlineData(RingExceptionPolicy.Halt, 1)]
    [InlineData(RingExceptionPolicy.ReportAndContinue, 2)]
    public async Task HandlerFailure_IsLoggedWithItsEventId_TheKernel_TheHandler_AndTheBatchsSequences(RingExceptionPolicy policy, int eventId)
    {
        var logs = new ListLoggerFactory();
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 16, Name = "orders", ExceptionPolicy = policy }, logs);
        kernel.AddHandler("flaky", new FailAt(3));
        for (var i = 0; i < 5; i++)
            kernel.Publish(new Tick(i));   // before the start: the first batch is exactly 0..4
        kernel.Start();

        if (policy == RingExceptionPolicy.Halt)
            await Assert.ThrowsAsync<InvalidDataException>(() => kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout));
        else
            await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        var error = Assert.Single(logs.Records, r => r.Level == LogLevel.Error);
        Assert.Equal(eventId, error.Id.Id);
        Assert.Contains("Kernel orders", error.Message, StringComparison.Ordinal);
        Assert.Contains("handler flaky", error.Message, StringComparison.Ordinal);
        Assert.Contains("entries 0..4", error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidDataException>(error.Exception);
    }

    [Fact]
    public async Task AddKernel_ReadsOptionsNamedAfterTheEventTypesFullName()
    {
        // What configuration binding relies on: options configured under that name, not through AddKernel's delegate.
        var services = new ServiceCollection();
        services.Configure<StreamKernelOptions>(typeof(Tick).FullName!, o => o.RingSize = 128);
        services.AddKernel<Tick>();
        using var provider = new TestServiceProvider(services);

        var kernel = provider.GetRequiredService<StreamKernel<Tick>>();

        Assert.Equal(typeof(Tick).FullName, KernelServiceCollectionExtensions.OptionsName<Tick>());
        Assert.Equal(128, kernel.Ring.BufferSize);
        await kernel.DisposeAsync();
    }

    [Fact]
    public async Task DefaultIdleInterval_Is100Ms_AndReachesTheKernelsPipeline()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), new StreamKernelOptions().IdleInterval);
        var idle = new IdleSignal(calls: 2);
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 16 });
        kernel.AddHandler("idle", idle);
        var started = System.Diagnostics.Stopwatch.StartNew();
        kernel.Start();

        await idle.Reached.WaitAsync(RuntimeTestSupport.Timeout);   // two idle calls on a quiet ring, about 200 ms
        var elapsed = started.Elapsed;
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        // A lower bound only (a loaded machine makes it longer): two intervals of a 1 ms default would take ~2 ms.
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(150), $"two idle calls after {elapsed.TotalMilliseconds:F0} ms: the interval is not 100 ms");
    }

    [Fact]
    public async Task StopAsync_Cancelled_HaltsTheKernel_EntriesAfterTheBusyBatchStayUnhandled()
    {
        using var release = new ManualResetEventSlim(false);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new TickRecorder
        {
            OnBatchStart = (_, _) =>
            {
                entered.TrySetResult();
                release.Wait(RuntimeTestSupport.Timeout);
            },
        };
        var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 16 });
        kernel.AddHandler("stuck", recorder);
        kernel.Start();
        kernel.Publish(new Tick(0));
        await entered.Task.WaitAsync(RuntimeTestSupport.Timeout);   // the handler holds a batch of tick 0 alone
        for (var i = 1; i <= 5; i++)
            kernel.Publish(new Tick(i));
        using var cts = new CancellationTokenSource();

        var stopping = kernel.StopAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopping.WaitAsync(RuntimeTestSupport.Timeout));
        Assert.True(kernel.Ring.Sequencer.IsClosed);

        release.Set();
        await kernel.Completion.WaitAsync(RuntimeTestSupport.Timeout);
        await kernel.DisposeAsync();
        Assert.Equal([0L], recorder.EventNumbers());
    }

    private sealed class FailAt(long number) : IBatchHandler<Tick>
    {
        private bool _thrown;

        public void OnBatch(ReadOnlySpan<RingEntry<Tick>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                if (e.Kind == EntryKind.Event && !_thrown && e.Event.Number == number)
                {
                    _thrown = true;
                    throw new InvalidDataException($"tick {number} is bad");
                }
            }
        }
    }

    private sealed class IdleSignal(int calls) : IBatchHandler<Tick>, IIdleHandler
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _idles;

        public Task Reached => _reached.Task;

        public void OnBatch(ReadOnlySpan<RingEntry<Tick>> entries, long firstSequence) { }

        public void OnIdle()
        {
            if (Interlocked.Increment(ref _idles) >= calls) _reached.TrySetResult();
        }
    }
}
