using Kernel.Runtime;

namespace Kernel.Tests.Runtime;

/// <summary>
/// <c>StreamKernel.PublishAsync(ReadOnlyMemory)</c> cancelled while the ring is full and its batch only partly in:
/// its docs promise an <see cref="OperationCanceledException"/> and that a prefix of the events may have been published.
/// </summary>
public sealed class PublishAsyncCancellationTests
{
    [Fact]
    public async Task PublishAsync_CancelledWhileRingFull_ThrowsAndPublishedAPrefix_KernelWorksAfterwards()
    {
        using var release = new SemaphoreSlim(0);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = false;
        var recorder = new TickRecorder
        {
            // The first batch (event 0 alone) holds the handler, and with it every slot, until the test releases it.
            OnBatchStart = (_, _) =>
            {
                if (blocked) return;
                blocked = true;
                entered.TrySetResult();
                Assert.True(release.Wait(RuntimeTestSupport.Timeout), "the test never released the handler");
            },
        };
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 8 });
        kernel.AddHandler("blocked", recorder);
        kernel.Start();
        kernel.Publish(new Tick(0));
        await entered.Task.WaitAsync(RuntimeTestSupport.Timeout);

        // 8 slots, one held by event 0: 7 of the 12 fit, then the call waits for room.
        var batch = Enumerable.Range(100, 12).Select(n => new Tick(n)).ToArray();
        using var cts = new CancellationTokenSource();
        var pending = kernel.PublishAsync(batch, cts.Token).AsTask();
        Assert.False(pending.IsCompleted, "the ring has room for 7 of 12 events; the call must wait");
        Assert.Equal(8, kernel.EventsPublished);

        await cts.CancelAsync();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(RuntimeTestSupport.Timeout));
        Assert.Equal(cts.Token, ex.CancellationToken);
        Assert.Equal(8, kernel.EventsPublished);

        // Released, the handler drains; a batch larger than the ring then has to wait for room again, and gets it.
        release.Release();
        var after = Enumerable.Range(200, 20).Select(n => new Tick(n)).ToArray();
        await kernel.PublishAsync(after).AsTask().WaitAsync(RuntimeTestSupport.Timeout);
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        // Each event once, in order: event 0, the 7-event prefix of the cancelled batch, then the later batch.
        long[] expected = [0, .. Enumerable.Range(100, 7).Select(n => (long)n), .. Enumerable.Range(200, 20).Select(n => (long)n)];
        Assert.Equal(expected, recorder.EventNumbers());
        Assert.Equal(28, kernel.EventsPublished);
    }
}
