namespace Kernel.Ring;

/// <summary>How many threads publish into a ring, which picks its sequencer.</summary>
public enum ProducerType
{
    /// <summary>
    /// One publishing thread at a time: claims are plain increments (no interlocked operation).
    /// Publishing from two threads at once corrupts the ring.
    /// </summary>
    Single = 0,

    /// <summary>Any number of publishing threads: claims are interlocked, slots are marked published one by one.</summary>
    Multi = 1,
}
