using System.Runtime.InteropServices;

namespace Kernel.Ring;

/// <summary>
/// One preallocated slot of the ring: a kind, a source, a control value and the event payload.
/// Producers fill slots in place (by ref) and handlers read them in place (as spans): an event
/// is copied once, into the slot, and never again.
/// </summary>
/// <typeparam name="T">The event type; an unmanaged struct on the hot path.</typeparam>
[StructLayout(LayoutKind.Sequential)]
public struct RingEntry<T>
{
    /// <summary>What this entry carries.</summary>
    public EntryKind Kind;

    /// <summary>The source that published the entry (0 when there is one source).</summary>
    public int SourceId;

    /// <summary>
    /// The control value: a watermark's event time for <see cref="EntryKind.Watermark"/>, the
    /// checkpoint id for <see cref="EntryKind.Barrier"/>; for events, the source position the
    /// event was read at (a byte offset or record number, or 0 when the source has none).
    /// </summary>
    public long Value;

    /// <summary>The event, valid when <see cref="Kind"/> is <see cref="EntryKind.Event"/>.</summary>
    public T Event;
}
