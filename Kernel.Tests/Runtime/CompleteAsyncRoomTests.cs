using Kernel.Ring;
using Kernel.Runtime;

namespace Kernel.Tests.Runtime;

/// <summary>
/// <c>StreamKernel.CompleteAsync</c> on a full ring: its end-of-input entry waits for room asynchronously (the
/// calling thread is not blocked) and its token cancels that wait, after which the kernel stops behind what
/// was published, as <c>StopAsync</c> does.
/// </summary>
public sealed class CompleteAsyncRoomTests
{
    /// <summary>How long the call itself may take to hand back its task: it must not wait for room on the caller's thread.</summary>
    private static readonly TimeSpan Returns = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task CompleteAsync_RingFull_ReturnsWithoutBlocking_ThenEndsTheInputOnceThereIsRoom()
    {
        await using var held = await HeldKernel.StartAsync();

        var completing = CallOnAnotherThread(() => held.Kernel.CompleteAsync());
        Assert.False(completing.IsCompleted, "the ring is full: the end of input cannot be in yet");

        held.Release();
        await completing.WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(Enumerable.Range(0, 8).Select(n => (long)n), held.Recorder.EventNumbers());
        Assert.Equal(EntryKind.EndOfInput, held.Recorder.Entries[^1].Kind);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    [Fact]
    public async Task CompleteAsync_CancelledWhileRingFull_Throws_AndTheKernelStopsAfterWhatWasPublished()
    {
        await using var held = await HeldKernel.StartAsync();
        using var cts = new CancellationTokenSource();

        var completing = CallOnAnotherThread(() => held.Kernel.CompleteAsync(cts.Token));
        Assert.False(completing.IsCompleted, "the ring is full: the end of input cannot be in yet");

        await cts.CancelAsync();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => completing.WaitAsync(RuntimeTestSupport.Timeout));
        Assert.Equal(cts.Token, ex.CancellationToken);

        // Released, the handler finishes the eight events and stops: no end-of-input entry was published.
        held.Release();
        await held.Kernel.Completion.WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(Enumerable.Range(0, 8).Select(n => (long)n), held.Recorder.EventNumbers());
        Assert.DoesNotContain(held.Recorder.Entries, e => e.Kind == EntryKind.EndOfInput);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    [Fact]
    public async Task CompleteAsync_CalledAgainWhileTheFirstWaitsForRoom_BothEndWithOneEndOfInput()
    {
        await using var held = await HeldKernel.StartAsync();
        var first = CallOnAnotherThread(() => held.Kernel.CompleteAsync());
        var second = CallOnAnotherThread(() => held.Kernel.CompleteAsync());
        Assert.False(first.IsCompleted || second.IsCompleted, "the ring is full: neither call can be done");
        Assert.Equal(8, held.Kernel.EventsPublished);   // the waiting end of input is not counted as an event meanwhile

        held.Release();
        await Task.WhenAll(first, second).WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Single(held.Recorder.Entries, e => e.Kind == EntryKind.EndOfInput);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    [Fact]
    public async Task CompleteAsync_HandlerHaltsTheKernelWhileItWaitsForRoom_ThrowsTheHandlersError()
    {
        await using var held = await HeldKernel.StartAsync(failOnRelease: true);
        var completing = CallOnAnotherThread(() => held.Kernel.CompleteAsync());
        Assert.False(completing.IsCompleted, "the ring is full: the end of input cannot be in yet");

        held.Release();   // the held batch now throws: the default policy halts the kernel
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => completing.WaitAsync(RuntimeTestSupport.Timeout));
        Assert.Contains(HeldKernel.Failure, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(held.Recorder.Entries, e => e.Kind == EntryKind.EndOfInput);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    /// <summary>
    /// Makes the call on a thread of its own and returns the task it handed back, failing (instead of hanging the
    /// test) when the call itself does not return within <see cref="Returns"/>.
    /// </summary>
    private static Task CallOnAnotherThread(Func<Task> call)
    {
        Task? returned = null;
        var caller = new Thread(() => returned = call()) { IsBackground = true };
        caller.Start();
        Assert.True(caller.Join(Returns), "CompleteAsync blocked its caller while the ring was full");
        return returned!;
    }

    /// <summary>A kernel of 8 slots whose handler holds event 0's batch until <see cref="Release"/>, with events 1-7 behind it: full.</summary>
    private sealed class HeldKernel : IAsyncDisposable
    {
        private readonly SemaphoreSlim _release = new(0);

        private HeldKernel(StreamKernel<Tick> kernel, TickRecorder recorder)
        {
            Kernel = kernel;
            Recorder = recorder;
        }

        public StreamKernel<Tick> Kernel { get; }

        public TickRecorder Recorder { get; }

        /// <summary>The message of the error a failing held batch throws.</summary>
        public const string Failure = "the held batch fails on release";

        public static async Task<HeldKernel> StartAsync(bool failOnRelease = false)
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var recorder = new TickRecorder();
            var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 8 });
            var held = new HeldKernel(kernel, recorder);
            var blocked = false;
            recorder.OnBatchStart = (_, _) =>
            {
                if (blocked) return;
                blocked = true;
                entered.TrySetResult();
                Assert.True(held._release.Wait(RuntimeTestSupport.Timeout), "the test never released the handler");
                if (failOnRelease) throw new InvalidOperationException(Failure);
            };
            kernel.AddHandler("held", recorder);
            kernel.Start();
            kernel.Publish(new Tick(0));
            await entered.Task.WaitAsync(RuntimeTestSupport.Timeout);
            for (var n = 1; n < 8; n++)
                Assert.True(kernel.TryPublish(new Tick(n)), $"event {n} should fit in the 8 slots");
            Assert.False(kernel.TryPublish(new Tick(99)), "the ring should be full");
            return held;
        }

        public void Release() => _release.Release();

        public async ValueTask DisposeAsync()
        {
            _release.Release();
            await Kernel.DisposeAsync();
            _release.Dispose();
        }
    }
}
