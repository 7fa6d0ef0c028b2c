using Kernel.Ring;
using Kernel.Runtime;

namespace Kernel.Tests.Runtime;

/// <summary>
/// <c>PublishWatermarkAsync</c>, <c>PublishBarrierAsync</c> and <c>PublishEndOfInputAsync</c>: at once when the ring has
/// room; on a full ring they hand back a pending task instead of blocking the caller, publish in sequence once the
/// handler makes room, publish nothing when cancelled, and fail when the kernel halts meanwhile. The synchronous forms
/// block instead. Neither form counts its entry as an event once published or after a halt.
/// </summary>
public sealed class ControlPublishTests
{
    [Fact]
    public async Task PublishWatermark_RingFull_Blocks_ThenPublishesAfterTheHeldEvents_CountingNoEvent()
    {
        await using var held = await HeldKernel.StartAsync();
        var publishing = Task.Run(() => held.Kernel.PublishWatermark(77));
        await WaitForAProducerAsleep(held);
        Assert.False(publishing.IsCompleted, "the ring is full: the watermark cannot be in yet");

        held.Release();
        await publishing.WaitAsync(RuntimeTestSupport.Timeout);
        await held.Kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(EntryKind.Watermark, held.Recorder.Entries[8].Kind);
        Assert.Equal(77, held.Recorder.Entries[8].Value);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    [Fact]
    public async Task PublishBarrier_KernelHaltsWhileItBlocks_Throws_AndLeavesTheEventCount()
    {
        await using var held = await HeldKernel.StartAsync(failOnRelease: true);
        var publishing = Task.Run(() => held.Kernel.PublishBarrier(3));
        await WaitForAProducerAsleep(held);

        held.Release();   // the held batch now throws: the default policy halts the kernel
        await Assert.ThrowsAsync<InvalidOperationException>(() => publishing.WaitAsync(RuntimeTestSupport.Timeout));
        Assert.DoesNotContain(held.Recorder.Entries, e => e.Kind == EntryKind.Barrier);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    [Fact]
    public async Task PublishControlAsync_GivesTheEntrysSequence_AtOnceOrAfterWaitingForRoom()
    {
        await using var held = await HeldKernel.StartAsync();
        var waiting = held.Kernel.PublishControlAsync(EntryKind.Barrier, 5, 0, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted, "the ring is full: the barrier cannot be in yet");

        held.Release();
        Assert.Equal(8, await waiting.WaitAsync(RuntimeTestSupport.Timeout));   // behind events 0-7
        Assert.Equal(9, await held.Kernel.PublishControlAsync(EntryKind.Barrier, 6, 0, CancellationToken.None).AsTask().WaitAsync(RuntimeTestSupport.Timeout));
        Assert.Equal(8, held.Kernel.EventsPublished);

        await using var roomy = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 8 });
        roomy.Publish(new Tick(0));
        roomy.Publish(new Tick(1));
        var atOnce = roomy.PublishControlAsync(EntryKind.Watermark, 10, 0, CancellationToken.None);
        Assert.True(atOnce.IsCompletedSuccessfully, "with room the publish completes at once");
        Assert.Equal(2, await atOnce);
    }

    /// <summary>Waits until a producer sleeps on the ring's room signal (the blocking publish is in its wait).</summary>
    private static async Task WaitForAProducerAsleep(HeldKernel held)
    {
        var deadline = DateTime.UtcNow + RuntimeTestSupport.Timeout;
        while (held.Kernel.Ring.Sequencer.RoomSignal.Waiters == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the publish never went to sleep waiting for room");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task ControlPublishesAsync_RingHasRoom_CompleteAtOnce_InSequenceWithTheEvents()
    {
        var recorder = new TickRecorder();
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 8 });
        kernel.AddHandler("recorder", recorder);
        kernel.Publish(new Tick(0));

        var watermark = kernel.PublishWatermarkAsync(1_000, sourceId: 2);
        kernel.Publish(new Tick(1));
        var barrier = kernel.PublishBarrierAsync(7);
        var end = kernel.PublishEndOfInputAsync(2);

        Assert.True(watermark.IsCompletedSuccessfully && barrier.IsCompletedSuccessfully && end.IsCompletedSuccessfully,
            "with room in the ring each control publish completes synchronously");
        Assert.Equal(2, kernel.EventsPublished);
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        // The last end of input is CompleteAsync's own (every source).
        Assert.Equal(
            [EntryKind.Event, EntryKind.Watermark, EntryKind.Event, EntryKind.Barrier, EntryKind.EndOfInput, EntryKind.EndOfInput],
            recorder.Entries.Select(e => e.Kind));
        Assert.Equal(1_000, recorder.Entries[1].Value);
        Assert.Equal(7, recorder.Entries[3].Value);
        Assert.Equal([0L, 1L], recorder.EventNumbers());
    }

    [Fact]
    public async Task PublishWatermarkAsync_RingFull_ReturnsWithoutBlocking_ThenPublishesAfterTheHeldEvents()
    {
        await using var held = await HeldKernel.StartAsync();

        var publishing = HeldKernel.CallOnAnotherThread(() => held.Kernel.PublishWatermarkAsync(1_234, sourceId: 1).AsTask());
        Assert.False(publishing.IsCompleted, "the ring is full: the watermark cannot be in yet");
        Assert.Equal(8, held.Kernel.EventsPublished);   // the waiting watermark is not counted as an event meanwhile

        held.Release();
        await publishing.WaitAsync(RuntimeTestSupport.Timeout);
        await held.Kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        var kinds = held.Recorder.Entries.Select(e => e.Kind).ToArray();
        Assert.Equal([.. Enumerable.Repeat(EntryKind.Event, 8), EntryKind.Watermark, EntryKind.EndOfInput], kinds);
        Assert.Equal(1_234, held.Recorder.Entries[8].Value);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    [Fact]
    public async Task PublishBarrierAsync_CancelledWhileRingFull_Throws_AndPublishesNothing()
    {
        await using var held = await HeldKernel.StartAsync();
        using var cts = new CancellationTokenSource();

        var publishing = HeldKernel.CallOnAnotherThread(() => held.Kernel.PublishBarrierAsync(5, cts.Token).AsTask());
        Assert.False(publishing.IsCompleted, "the ring is full: the barrier cannot be in yet");

        await cts.CancelAsync();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publishing.WaitAsync(RuntimeTestSupport.Timeout));
        Assert.Equal(cts.Token, ex.CancellationToken);

        held.Release();
        await held.Kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        Assert.DoesNotContain(held.Recorder.Entries, e => e.Kind == EntryKind.Barrier);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    [Fact]
    public async Task PublishEndOfInputAsync_KernelHaltsWhileItWaitsForRoom_FailsWithoutPublishing()
    {
        await using var held = await HeldKernel.StartAsync(failOnRelease: true);
        var publishing = HeldKernel.CallOnAnotherThread(() => held.Kernel.PublishEndOfInputAsync(0).AsTask());
        Assert.False(publishing.IsCompleted, "the ring is full: the end of input cannot be in yet");

        held.Release();   // the held batch now throws: the default policy halts the kernel
        await Assert.ThrowsAsync<InvalidOperationException>(() => publishing.WaitAsync(RuntimeTestSupport.Timeout));
        Assert.DoesNotContain(held.Recorder.Entries, e => e.Kind == EntryKind.EndOfInput);
        Assert.Equal(8, held.Kernel.EventsPublished);
    }

    [Fact]
    public async Task ControlPublishesAsync_NegativeSourceId_ThrowBeforeReturningATask()
    {
        await using var kernel = new StreamKernel<Tick>();
        var watermark = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = kernel.PublishWatermarkAsync(1, sourceId: -1); });
        var end = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = kernel.PublishEndOfInputAsync(-3); });
        Assert.Equal("sourceId", watermark.ParamName);
        Assert.Equal("sourceId", end.ParamName);
        Assert.Equal(0, kernel.EventsPublished);
    }
}
