namespace Kernel.Operators;

/// <summary>
/// What an emitted row is: which revision of its (key, window) it is, whether another will follow,
/// and the watermark when it was emitted. A consumer keeps the highest revision per (key, window):
/// a later revision replaces an earlier one (an upsert), so nothing is counted twice.
/// </summary>
/// <param name="WindowStartMs">The window's start (inclusive), Unix ms; 0 without a window.</param>
/// <param name="WindowEndMs">The window's end (exclusive), Unix ms; 0 without a window.</param>
/// <param name="Revision">0 for the first row of a (key, window), then 1, 2, … for each revision.</param>
/// <param name="IsFinal">True when no further row for this (key, window) will be emitted.</param>
/// <param name="Watermark">The operator's watermark when the row was emitted.</param>
public readonly record struct RowRevision(long WindowStartMs, long WindowEndMs, int Revision, bool IsFinal, long Watermark)
{
    /// <summary>
    /// True when the row's key no longer exists: the row carries its key and its last values, and a consumer
    /// drops what it kept for that key (an upsert consumer retracts it). Only an operator whose keys can leave
    /// sends one: <see cref="UpsertAggregator{TEvent, TUpstreamKey, TKey, TState, TRow, TSpec}"/>'s change sink,
    /// when a downstream key's last upstream row leaves it.
    /// </summary>
    public bool IsRetraction { get; init; }
}
