using Kernel.Runtime;

namespace Kernel.Tests.Runtime;

/// <summary>A kernel of 8 slots whose handler holds event 0's batch until <see cref="Release"/>, with events 1-7 behind it: full.</summary>
internal sealed class HeldKernel : IAsyncDisposable
{
    /// <summary>How long a call may take to hand back its task: it must not wait for room on the caller's thread.</summary>
    private static readonly TimeSpan Returns = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Makes the call on a thread of its own and returns the task it handed back, failing (instead of hanging the
    /// test) when the call itself does not return within <see cref="Returns"/>.
    /// </summary>
    public static Task CallOnAnotherThread(Func<Task> call)
    {
        Task? returned = null;
        Exception? thrown = null;
        var caller = new Thread(() =>
        {
            try
            {
                returned = call();
            }
            catch (Exception ex)
            {
                thrown = ex;   // rethrown on the test's thread: an exception on this one would end the test host
            }
        })
        { IsBackground = true };
        caller.Start();
        Assert.True(caller.Join(Returns), "the call blocked its caller while the ring was full");
        if (thrown is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(thrown);
        return returned!;
    }

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
