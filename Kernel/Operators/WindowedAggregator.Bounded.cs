using System.Runtime.CompilerServices;

namespace Kernel.Operators;

// Batch execution over a bounded input. As in Beam and Flink batch mode, the watermark does not
// move while the input is read: events are folded into their panes (or sessions) and nothing fires.
// EndOfInput() then raises the watermark to +∞ and every window fires once, in window order. No
// event of a bounded input is late, whatever its order, and nothing is emitted before the end.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    /// <summary>
    /// Folds a batch of a bounded input without moving the watermark (batch mode): no window fires
    /// and no event is late until <see cref="EndOfInput"/>, which fires every window. Do not mix with
    /// <see cref="Apply"/> or the ring path on one operator: an event applied here after the watermark
    /// has moved is subject to the usual lateness rule.
    /// </summary>
    /// <param name="events">The events, in any order.</param>
    public void ApplyBounded(ReadOnlySpan<TEvent> events)
    {
        for (var i = 0; i < events.Length; i++) OnBoundedEvent(events[i]);
        _eventsSeen += events.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnBoundedEvent(in TEvent e)
    {
        if (!TSpec.Filter(e)) return;
        var t = TSpec.EventTime(e);
        if (_session) OnSessionEvent(e, t);
        else OnPaneEvent(e, t);
    }
}
