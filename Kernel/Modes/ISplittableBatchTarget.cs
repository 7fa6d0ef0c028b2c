namespace Kernel.Modes;

/// <summary>
/// A batch target that can run as several workers: the runners ask it (once per run, boxed) to run
/// an in-memory input itself, and it hands its own struct type to <see cref="ParallelBatch"/>, so
/// every call in the workers' loops stays direct.
/// </summary>
/// <typeparam name="TEvent">The input event.</typeparam>
internal interface IParallelBatchTarget<TEvent>
{
    /// <summary>False when the operator's state cannot be merged (sketches): the run stays on one thread.</summary>
    bool CanSplit { get; }

    /// <summary>Folds <paramref name="input"/> with <paramref name="workers"/> workers, then merges their states into this target.</summary>
    void ApplyParallel(ReadOnlySpan<TEvent> input, int workers, int batchSize, ref ProgressMeter meter);
}

/// <summary>What <see cref="ParallelBatch"/> needs of a target: fresh workers of the same aggregation and a merge.</summary>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TSelf">The target's own type.</typeparam>
internal interface ISplittableBatchTarget<TEvent, TSelf> : IBatchTarget<TEvent>
    where TSelf : struct, ISplittableBatchTarget<TEvent, TSelf>
{
    /// <summary>A new, empty target of the same aggregation, sized like this one.</summary>
    TSelf Fork();

    /// <summary>Merges a forked worker's state into this target, as if its events had been folded here after this target's own.</summary>
    void Join(TSelf worker);
}
