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
    [Fact]
    public async Task CompleteAsync_RingFull_ReturnsWithoutBlocking_ThenEndsTheInputOnceThereIsRoom()
    {
        await using var held = await HeldKernel.StartAsync();

        var completing = HeldKernel.CallOnAnotherThread(() => held.Kernel.CompleteAsync());
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

        var completing = HeldKernel.CallOnAnotherThread(() => held.Kernel.CompleteAsync(cts.Token));
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
        var first = HeldKernel.CallOnAnotherThread(() => held.Kernel.CompleteAsync());
        var second = HeldKernel.CallOnAnotherThread(() => held.Kernel.CompleteAsync());
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
        var completing = HeldKernel.CallOnAnotherThread(() => held.Kernel.CompleteAsync());
        Assert.False(completing.IsCompleted, "the ring is full: the end of input cannot be in yet");

        held.Release();   // the held batch now throws: the default policy halts the kernel
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => completing.WaitAsync(RuntimeTestSupport.Timeout));
        Assert.Contains(HeldKernel.Failure, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(held.Recorder.Entries, e => e.Kind == EntryKind.EndOfInput);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }
}
