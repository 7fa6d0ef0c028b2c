using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Kernel.Modes;

/// <summary>
/// Runs a batch over an in-memory input with several workers: the input is cut into as many
/// contiguous shares; the calling thread folds the first into the caller's target, one thread per
/// other share folds it into a fork (a fresh instance of the same operator); after all have
/// finished, the forks are merged into the target in input order. Each worker's loop is the
/// sequential one (batches of <c>BatchSize</c> into the generated fused loop); nothing is shared
/// between workers while they run but one progress counter each, written once per batch.
/// </summary>
/// <remarks>
/// Unsafe because a span cannot cross threads: the input is pinned for the run and each thread
/// rebuilds its share from the pinned address, which is why the input's events must hold no
/// references. The pinned block is never left while a worker still reads (every thread is joined
/// in a <c>finally</c>, even when the calling thread's share throws).
/// </remarks>
internal static unsafe class ParallelBatch
{
    /// <summary>True when an input of <typeparamref name="TEvent"/> can be shared between threads (no references to pin around).</summary>
    public static bool CanShare<TEvent>() => !RuntimeHelpers.IsReferenceOrContainsReferences<TEvent>();

    /// <summary>Folds <paramref name="input"/> into <paramref name="target"/> with <paramref name="workers"/> workers (at least 2, at most the input's length).</summary>
    public static void Run<TEvent, TTarget>(TTarget target, ReadOnlySpan<TEvent> input, int workers, int batchSize, ref ProgressMeter meter)
        where TTarget : struct, ISplittableBatchTarget<TEvent, TTarget>
    {
        var before = meter.Records;
        var forks = new Worker<TEvent, TTarget>[workers - 1];
        var ownEnd = ShareEnd(input.Length, workers, 0);
        fixed (byte* start = &Unsafe.As<TEvent, byte>(ref MemoryMarshal.GetReference(input)))
        {
            var started = 0;
            try
            {
                for (var k = 1; k < workers; k++)
                {
                    var from = ShareEnd(input.Length, workers, k - 1);
                    var to = ShareEnd(input.Length, workers, k);
                    var fork = new Worker<TEvent, TTarget>(target.Fork(), (nint)(start + (long)from * Unsafe.SizeOf<TEvent>()), to - from, batchSize);
                    forks[k - 1] = fork;
                    fork.Thread.Start(fork);
                    started++;
                }
                var own = input[..ownEnd];
                for (var i = 0; i < own.Length; i += batchSize)
                {
                    var n = Math.Min(batchSize, own.Length - i);
                    target.Apply(own.Slice(i, n));
                    if (meter.Reports) meter.SetRecords(before + i + n + Done(forks, started));
                }
                for (var k = 0; k < started; k++)
                {
                    while (!forks[k].Thread.Join(meter.MillisUntilReport))
                        meter.SetRecords(before + ownEnd + Done(forks, started));
                }
            }
            finally
            {
                for (var k = 0; k < started; k++) forks[k].Thread.Join();
            }
        }
        foreach (var fork in forks) fork.Error?.Throw();
        foreach (var fork in forks) target.Join(fork.Target);
        meter.SetRecords(before + input.Length);
    }

    /// <summary>The end of share <paramref name="k"/> of <paramref name="workers"/> (shares differ by at most one event).</summary>
    private static int ShareEnd(int length, int workers, int k) => (int)((long)length * (k + 1) / workers);

    private static long Done<TEvent, TTarget>(Worker<TEvent, TTarget>[] forks, int started)
        where TTarget : struct, ISplittableBatchTarget<TEvent, TTarget>
    {
        long done = 0;
        for (var k = 0; k < started; k++) done += forks[k].Done;
        return done;
    }

    /// <summary>One forked worker: its target, its share of the pinned input and its thread.</summary>
    private sealed class Worker<TEvent, TTarget>
        where TTarget : struct, ISplittableBatchTarget<TEvent, TTarget>
    {
        private readonly nint _start;
        private readonly int _length;
        private readonly int _batchSize;
        private long _done;

        public Worker(TTarget target, nint start, int length, int batchSize)
        {
            Target = target;
            _start = start;
            _length = length;
            _batchSize = batchSize;
            Thread = new Thread(static state => ((Worker<TEvent, TTarget>)state!).Run()) { IsBackground = true, Name = "kernel-batch-worker" };
        }

        public TTarget Target { get; }

        public Thread Thread { get; }

        public ExceptionDispatchInfo? Error { get; private set; }

        /// <summary>Events folded so far (written once per batch).</summary>
        public long Done => Volatile.Read(ref _done);

        private void Run()
        {
            try
            {
                var share = new ReadOnlySpan<TEvent>((void*)_start, _length);
                var target = Target;
                for (var i = 0; i < share.Length; i += _batchSize)
                {
                    var n = Math.Min(_batchSize, share.Length - i);
                    target.Apply(share.Slice(i, n));
                    Volatile.Write(ref _done, i + n);
                }
            }
            catch (Exception e)
            {
                Error = ExceptionDispatchInfo.Capture(e);
            }
        }
    }
}
