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
        var batch = new PooledBatch<TEvent>(options.BatchSize);
        try
        {
            foreach (var e in input)
                if (batch.Add(e)) batch.Flush(ref target, ref meter);
            batch.Flush(ref target, ref meter);
        }
        finally
        {
            batch.Return();
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
        var batch = new PooledBatch<TEvent>(options.BatchSize);
        try
        {
            await foreach (var e in input.WithCancellation(cancellationToken).ConfigureAwait(false))
                if (batch.Add(e)) batch.Flush(ref target, ref meter);
            batch.Flush(ref target, ref meter);
        }
        finally
        {
            batch.Return();
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

    /// <summary>
    /// One batch of a sequence gathered in a pooled buffer before it goes to the operator in one call
    /// (the enumerable and asynchronous runs; a span is cut into batches in place).
    /// </summary>
    private struct PooledBatch<TEvent>(int size)
    {
        private readonly TEvent[] _items = ArrayPool<TEvent>.Shared.Rent(size);
        private int _count;

        /// <summary>Adds <paramref name="e"/>; true when the batch is full.</summary>
        public bool Add(TEvent e)
        {
            _items[_count++] = e;
            return _count == size;
        }

        /// <summary>Hands the events gathered so far (if any) to <paramref name="target"/>, counted in <paramref name="meter"/>.</summary>
        public void Flush<TTarget>(ref TTarget target, ref ProgressMeter meter)
            where TTarget : IBatchTarget<TEvent>
        {
            if (_count == 0) return;
            target.Apply(_items.AsSpan(0, _count));
            meter.Add(_count, 0);
            _count = 0;
        }

        /// <summary>Gives the buffer back to the pool (cleared when the events hold references).</summary>
        public readonly void Return()
            => ArrayPool<TEvent>.Shared.Return(_items, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<TEvent>());
    }

    private static BatchOptions Checked(BatchOptions? options)
    {
        options ??= BatchOptions.Default;
        options.Validate();
        return options;
    }
}
