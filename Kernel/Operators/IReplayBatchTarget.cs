namespace Kernel.Operators;

/// <summary>
/// An operator that journal replay may feed through its batch path: Kernel's keyed and windowed
/// aggregators. Replay calls it once per batch (one interface call a batch, never per event);
/// <c>JournalReplayFeed</c> says how the batch path stays equivalent to the ring path.
/// </summary>
/// <typeparam name="TEvent">The input event.</typeparam>
internal interface IReplayBatchTarget<TEvent>
{
    /// <summary>Folds <paramref name="events"/> of source 0 through the operator's call-free loop.</summary>
    void ApplyReplayed(ReadOnlySpan<TEvent> events);

    /// <summary>The processing-time step the ring path takes after every batch (none for an operator without one).</summary>
    void TickReplayed();
}
