using Kernel.Operators;

namespace Kernel.Queries;

/// <summary>
/// A late-events sink that keeps every late event with its event time and the watermark that made it
/// late, readable from any thread while the operator runs: the late-events counterpart of
/// <see cref="FinalRows{TRow}"/>, with the same lock-free prefix view (a reader sees exactly
/// <see cref="Count"/> events, never a torn one). Several operators may share one list (their late events
/// interleave): writers take a lock, which costs nothing on the event path (late events are rare); readers take none.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class LateEventList<TEvent> : ILateEventSink<TEvent>
{
    private readonly ILateEventSink<TEvent>? _inner;
    private readonly AppendOnlyPrefix<LateEvent<TEvent>> _events = new(16);
    private readonly Lock _writer = new();

    /// <summary>Creates the list.</summary>
    /// <param name="inner">Receives every late event as well; may be null.</param>
    public LateEventList(ILateEventSink<TEvent>? inner = null) => _inner = inner;

    /// <summary>Late events kept so far: the sequence of what a reader sees.</summary>
    public int Count => _events.Count;

    /// <inheritdoc/>
    public void OnLateEvent(in TEvent e, long eventTimeMs, long watermark)
    {
        _inner?.OnLateEvent(e, eventTimeMs, watermark);
        lock (_writer) _events.Add(new LateEvent<TEvent>(e, eventTimeMs, watermark));
    }

    /// <summary>The late events so far, in arrival order (an immutable prefix: later ones never change it).</summary>
    public ReadOnlyMemory<LateEvent<TEvent>> Snapshot() => _events.Snapshot();
}

/// <summary>One late event as <see cref="LateEventList{TEvent}"/> keeps it.</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public readonly struct LateEvent<TEvent>
{
    /// <summary>Creates the entry.</summary>
    /// <param name="event">The event.</param>
    /// <param name="eventTimeMs">Its event time.</param>
    /// <param name="watermark">The watermark that made it late.</param>
    public LateEvent(TEvent @event, long eventTimeMs, long watermark)
    {
        Event = @event;
        EventTimeMs = eventTimeMs;
        Watermark = watermark;
    }

    /// <summary>The event.</summary>
    public TEvent Event { get; }

    /// <summary>Its event time.</summary>
    public long EventTimeMs { get; }

    /// <summary>The watermark that made it late.</summary>
    public long Watermark { get; }
}

/// <summary>A late event handed to a <see cref="LateEventCallback{TEvent}"/> (valid only during the call).</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
/// <param name="e">The event.</param>
/// <param name="eventTimeMs">Its event time.</param>
/// <param name="watermark">The watermark that made it late.</param>
public delegate void LateEventHandler<TEvent>(in TEvent e, long eventTimeMs, long watermark);

/// <summary>A late-events sink that calls a delegate for each late event, on the operator's thread.</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
/// <param name="onLate">Called once per late event.</param>
public sealed class LateEventCallback<TEvent>(LateEventHandler<TEvent> onLate) : ILateEventSink<TEvent>
{
    private readonly LateEventHandler<TEvent> _onLate = onLate ?? throw new ArgumentNullException(nameof(onLate));

    /// <inheritdoc/>
    public void OnLateEvent(in TEvent e, long eventTimeMs, long watermark) => _onLate(e, eventTimeMs, watermark);
}
