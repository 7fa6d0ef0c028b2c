namespace Kernel.Modes;

/// <summary>
/// What a batch run feeds: an operator (or a queryable view of one) that takes a bounded input in
/// batches and is told when the input ends. The runners take it as a constrained generic, so the
/// call per batch is direct; nothing is called per event.
/// </summary>
/// <typeparam name="TEvent">The input event.</typeparam>
public interface IBatchTarget<TEvent>
{
    /// <summary>Folds one batch of the bounded input (the watermark does not move).</summary>
    void Apply(ReadOnlySpan<TEvent> events);

    /// <summary>The input is read: the watermark jumps to +∞ and every window fires.</summary>
    void Complete();
}
