using System.Buffers;
using System.Runtime.InteropServices;

namespace Kernel.Modes;

/// <summary>
/// Batch mode: runs an aggregation over a bounded input straight into its operator (no ring).
/// The input is cut into batches of <see cref="BatchOptions.BatchSize"/> events, one call into the
/// operator each, so the fused filter → key → fold loop runs hot; the watermark stays back until the
/// input is read, then <see cref="IBatchTarget{TEvent}.Complete"/> moves it to +∞ and every window
/// fires once. No event of a bounded input is late, whatever its order. Nothing is allocated per event.
/// An in-memory input into a keyed operator may be folded by several workers (<see cref="BatchOptions.Parallelism"/>).
/// </summary>
public static partial class BatchRunner
{
    /// <summary>Runs over an in-memory span.</summary>
    /// <typeparam name="TEvent">The input event.</typeparam>
    /// <typeparam name="TTarget">The operator as a batch target (see <see cref="BatchTarget"/>).</typeparam>
    public static BatchResult Run<TEvent, TTarget>(TTarget target, ReadOnlySpan<TEvent> input, BatchOptions? options = null)
        where TTarget : IBatchTarget<TEvent>
    {
        options = Checked(options);
        var meter = new ProgressMeter(options, input.Length, -1);
        var workers = options.WorkersFor(input.Length);
        if (workers > 1 && ParallelBatch.CanShare<TEvent>() && target is IParallelBatchTarget<TEvent> { CanSplit: true })
            ((IParallelBatchTarget<TEvent>)target).ApplyParallel(input, workers, options.BatchSize, ref meter);
        else
            Feed(ref target, input, options.BatchSize, ref meter);
        if (options.CompleteAtEnd) target.Complete();
        return meter.Finish();
    }

    /// <summary>
    /// Runs over an enumerable: arrays and lists are read as spans; anything else is copied into a
    /// reused buffer one batch at a time.
    /// </summary>
    public static BatchResult Run<TEvent, TTarget>(TTarget target, IEnumerable<TEvent> input, BatchOptions? options = null)
        where TTarget : IBatchTarget<TEvent>
    {
        ArgumentNullException.ThrowIfNull(input);
        options = Checked(options);
        if (input is TEvent[] array) return Run(target, (ReadOnlySpan<TEvent>)array, options);
        if (input is List<TEvent> list) return Run(target, (ReadOnlySpan<TEvent>)CollectionsMarshal.AsSpan(list), options);
        long total = input is ICollection<TEvent> c ? c.Count : input is IReadOnlyCollection<TEvent> rc ? rc.Count : options.TotalRecords ?? -1;
        var meter = new ProgressMeter(options, total, -1);
        var buffer = ArrayPool<TEvent>.Shared.Rent(options.BatchSize);
        try
        {
            var n = 0;
            foreach (var e in input)
            {
                buffer[n++] = e;
                if (n == options.BatchSize)
                {
                    target.Apply(buffer.AsSpan(0, n));
                    meter.Add(n, 0);
                    n = 0;
                }
            }
            if (n > 0)
            {
                target.Apply(buffer.AsSpan(0, n));
                meter.Add(n, 0);
            }
        }
        finally
        {
            ArrayPool<TEvent>.Shared.Return(buffer, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<TEvent>());
        }
        if (options.CompleteAtEnd) target.Complete();
        return meter.Finish();
    }

    /// <summary>Runs over an asynchronous sequence, one batch buffered at a time.</summary>
    public static async Task<BatchResult> RunAsync<TEvent, TTarget>(TTarget target, IAsyncEnumerable<TEvent> input, BatchOptions? options = null, CancellationToken cancellationToken = default)
        where TTarget : IBatchTarget<TEvent>
    {
        ArgumentNullException.ThrowIfNull(input);
        options = Checked(options);
        var meter = new ProgressMeter(options, options.TotalRecords ?? -1, -1);
        var buffer = ArrayPool<TEvent>.Shared.Rent(options.BatchSize);
        try
        {
            var n = 0;
            await foreach (var e in input.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                buffer[n++] = e;
                if (n == options.BatchSize)
                {
                    target.Apply(buffer.AsSpan(0, n));
                    meter.Add(n, 0);
                    n = 0;
                }
            }
            if (n > 0)
            {
                target.Apply(buffer.AsSpan(0, n));
                meter.Add(n, 0);
            }
        }
        finally
        {
            ArrayPool<TEvent>.Shared.Return(buffer, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<TEvent>());
        }
        if (options.CompleteAtEnd) target.Complete();
        return meter.Finish();
    }

    private static void Feed<TEvent, TTarget>(ref TTarget target, ReadOnlySpan<TEvent> input, int batchSize, ref ProgressMeter meter)
        where TTarget : IBatchTarget<TEvent>
    {
        for (var i = 0; i < input.Length; i += batchSize)
        {
            var n = Math.Min(batchSize, input.Length - i);
            target.Apply(input.Slice(i, n));
            meter.Add(n, 0);
        }
    }

    private static BatchOptions Checked(BatchOptions? options)
    {
        options ??= BatchOptions.Default;
        options.Validate();
        return options;
    }
}
