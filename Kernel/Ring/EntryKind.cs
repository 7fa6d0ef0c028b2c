namespace Kernel.Ring;

/// <summary>
/// What a ring entry carries. Control travels in band: every handler sees watermarks,
/// barriers and end of input in sequence order, interleaved with the events around them.
/// </summary>
public enum EntryKind : byte
{
    /// <summary>An event; <see cref="RingEntry{T}.Event"/> holds it.</summary>
    Event = 0,

    /// <summary>A watermark; <see cref="RingEntry{T}.Value"/> holds its event time (Unix ms).</summary>
    Watermark = 1,

    /// <summary>A checkpoint barrier; <see cref="RingEntry{T}.Value"/> holds the checkpoint id.</summary>
    Barrier = 2,

    /// <summary>End of input: no entry follows from the source that published it.</summary>
    EndOfInput = 3,
}
