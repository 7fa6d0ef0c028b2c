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
    // Replaced (grown by copying) by the writer before the count that needs it is published (as FinalRows).
    private LateEvent<TEvent>[] _events = new LateEvent<TEvent>[16];
    private int _count;
    private readonly Lock _writer = new();

    /// <summary>Creates the list.</summary>
    /// <param name="inner">Receives every late event as well; may be null.</param>
    public LateEventList(ILateEventSink<TEvent>? inner = null) => _inner = inner;

    /// <summary>Late events kept so far: the sequence of what a reader sees.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc/>
    public void OnLateEvent(in TEvent e, long eventTimeMs, long watermark)
    {
        _inner?.OnLateEvent(e, eventTimeMs, watermark);
        lock (_writer)
        {
            var events = _events;
            var n = _count;
            if (n == events.Length)
            {
                Array.Resize(ref events, events.Length * 2);
                Volatile.Write(ref _events, events);
            }
            events[n] = new LateEvent<TEvent>(e, eventTimeMs, watermark);
            Volatile.Write(ref _count, n + 1);
        }
    }

    /// <summary>The late events so far, in arrival order (an immutable prefix: later ones never change it).</summary>
    public ReadOnlyMemory<LateEvent<TEvent>> Snapshot()
    {
        var n = Volatile.Read(ref _count);
        var events = Volatile.Read(ref _events);
        return events.AsMemory(0, n);
    }
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
