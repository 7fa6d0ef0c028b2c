namespace Kernel.Bench.Scaling;

/// <summary>Folds one batch of ticks (the operator's or the loop's <c>Apply</c>; one delegate call per 4,096 events).</summary>
public delegate void TickBatch(ReadOnlySpan<KeyedTick> batch);
