using Kernel.Ring;
using Kernel.Runtime;
using Microsoft.Extensions.Logging;

namespace Kernel.Tests.Runtime;

public sealed class StreamKernelTests
{
    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task PublishEveryWay_CompleteAsync_HandlerSeesAllInOrderWithControlEntries(ProducerType producerType)
    {
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 64, ProducerType = producerType });
        var recorder = new TickRecorder();
        kernel.AddHandler("recorder", recorder);
        kernel.Start();

        kernel.Publish(new Tick(0));
        kernel.Publish([new Tick(1), new Tick(2), new Tick(3)]);
        Assert.True(kernel.TryPublish(new Tick(4)));
        kernel.PublishWatermark(1_700_000_000_004);
        await kernel.PublishAsync(new Tick(5));
        kernel.PublishBarrier(checkpointId: 1);
        for (var i = 6; i < 200; i++)
            kernel.Publish(new Tick(i));
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), recorder.EventNumbers());
        var kinds = recorder.Entries.Select(e => e.Kind).ToList();
        Assert.Equal(EntryKind.Watermark, kinds[5]);
        Assert.Equal(1_700_000_000_004, recorder.Entries[5].Value);
        Assert.Equal(EntryKind.Barrier, kinds[7]);
        Assert.Equal(EntryKind.EndOfInput, kinds[^1]);
        Assert.Equal(200, kernel.EventsPublished);
        Assert.True(kernel.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task HandlerAfterAnother_ByName_RunsAfterIt()
    {
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 128 });
        var journal = new TickRecorder();
        var operatorHandler = new TickRecorder();
        var journalProcessor = kernel.AddHandler("journal", journal);
        string? violation = null;
        operatorHandler.OnBatchStart = (first, length) =>
        {
            if (journalProcessor.ProcessedSequence < first + length - 1)
                violation ??= $"operator at {first + length - 1}, journal at {journalProcessor.ProcessedSequence}";
        };
        kernel.AddHandler("operator", operatorHandler, "journal");
        kernel.Start();

        for (var i = 0; i < 10_000; i++)
            kernel.Publish(new Tick(i));
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        Assert.Null(violation);
        Assert.Equal(10_000, operatorHandler.EventNumbers().Length);
    }

    [Fact]
    public void AddHandler_AfterUnknownName_NamesIt()
    {
        var kernel = new StreamKernel<Tick>();
        var ex = Assert.Throws<ArgumentException>(() => kernel.AddHandler("operator", new TickRecorder(), "journal"));
        Assert.Contains("'journal'", ex.Message);
        Assert.Throws<ArgumentException>(() =>
        {
            kernel.AddHandler("a", new TickRecorder());
            kernel.AddHandler("a", new TickRecorder());
        });
    }

    [Fact]
    public void Options_RingSizeNotAPowerOfTwo_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 1000 }));
        Assert.Contains("StreamKernelOptions.RingSize", ex.Message);
    }

    [Fact]
    public async Task PublishAsync_FullRing_WaitsUntilHandlersMakeRoom()
    {
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 2 });
        var recorder = new TickRecorder();
        kernel.AddHandler("recorder", recorder);
        Assert.True(kernel.TryPublish(new Tick(0)));
        Assert.True(kernel.TryPublish(new Tick(1)));
        Assert.False(kernel.TryPublish(new Tick(2)));

        var pending = kernel.PublishAsync(new Tick(2)).AsTask();
        Assert.False(pending.IsCompleted);
        kernel.Start();
        await pending.WaitAsync(RuntimeTestSupport.Timeout);
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        Assert.Equal([0L, 1L, 2L], recorder.EventNumbers());
    }

    [Fact]
    public async Task HandlerThrows_HaltPolicy_LoggedWithTheHandlerName_AndCompleteAsyncThrowsIt()
    {
        var logs = new ListLoggerFactory();
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 16, Name = "orders" }, logs);
        kernel.AddHandler("flaky", new ThrowingHandler(failAt: 3));
        kernel.Start();
        for (var i = 0; i < 5; i++)
            kernel.Publish(new Tick(i));

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout));

        Assert.Equal("tick 3 is bad", ex.Message);
        var error = Assert.Single(logs.Records, r => r.Level == LogLevel.Error);
        Assert.Same(ex, error.Exception);
        Assert.Contains("orders", error.Message);
        Assert.Contains("flaky", error.Message);
        Assert.Contains("halts", error.Message);
    }

    [Fact]
    public async Task HandlerThrows_ReportAndContinue_LoggedAndLaterEventsHandled()
    {
        var logs = new ListLoggerFactory();
        await using var kernel = new StreamKernel<Tick>(
            new StreamKernelOptions { RingSize = 16, ExceptionPolicy = RingExceptionPolicy.ReportAndContinue }, logs);
        var handler = new ThrowingHandler(failAt: 3);
        kernel.AddHandler("flaky", handler);
        kernel.Start();
        for (var i = 0; i < 100; i++)
            kernel.Publish(new Tick(i));

        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        var error = Assert.Single(logs.Records, r => r.Level == LogLevel.Error);
        Assert.IsType<InvalidDataException>(error.Exception);
        Assert.Contains("goes on", error.Message);
        Assert.Contains(99L, handler.Seen);
    }

    [Fact]
    public async Task DisposeAsync_DrainsWhatWasPublished()
    {
        var recorder = new TickRecorder();
        var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 256 });
        kernel.AddHandler("recorder", recorder);
        kernel.Start();
        for (var i = 0; i < 5_000; i++)
            kernel.Publish(new Tick(i));

        await kernel.DisposeAsync().AsTask().WaitAsync(RuntimeTestSupport.Timeout);

        Assert.Equal(5_000, recorder.EventNumbers().Length);
        // Stopping is not end of input.
        Assert.DoesNotContain(recorder.Entries, e => e.Kind == EntryKind.EndOfInput);
    }

    [Fact]
    public async Task StopAsync_CancelledWhileAHandlerIsStuck_HaltsAndThrows()
    {
        using var release = new ManualResetEventSlim(false);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 16 });
        var recorder = new TickRecorder
        {
            OnBatchStart = (_, _) =>
            {
                entered.TrySetResult();
                release.Wait(RuntimeTestSupport.Timeout);
            },
        };
        kernel.AddHandler("stuck", recorder);
        kernel.Start();
        kernel.Publish(new Tick(0));
        await entered.Task.WaitAsync(RuntimeTestSupport.Timeout);
        using var cts = new CancellationTokenSource();

        var stopping = kernel.StopAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopping.WaitAsync(RuntimeTestSupport.Timeout));

        release.Set();
        await kernel.Completion.WaitAsync(RuntimeTestSupport.Timeout);
        await kernel.DisposeAsync();
    }

    [Fact]
    public async Task CompleteAsync_NeverStarted_StartsAndDrains()
    {
        var recorder = new TickRecorder();
        await using var kernel = new StreamKernel<Tick>(new StreamKernelOptions { RingSize = 8 });
        kernel.AddHandler("recorder", recorder);
        kernel.Publish(new Tick(7));

        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        Assert.Equal([7L], recorder.EventNumbers());
    }

    private sealed class ThrowingHandler(long failAt) : IBatchHandler<Tick>
    {
        public readonly List<long> Seen = [];
        private bool _thrown;

        public void OnBatch(ReadOnlySpan<RingEntry<Tick>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                if (e.Kind != EntryKind.Event)
                    continue;
                if (!_thrown && e.Event.Number == failAt)
                {
                    _thrown = true;
                    throw new InvalidDataException($"tick {failAt} is bad");
                }
                Seen.Add(e.Event.Number);
            }
        }
    }
}
