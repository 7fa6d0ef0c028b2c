using Kernel.Ring;

namespace Kernel.Runtime;

/// <summary>Settings of a <see cref="StreamKernel{TEvent}"/>.</summary>
public sealed class StreamKernelOptions
{
    /// <summary>The default <see cref="RingSize"/>: 65,536 slots.</summary>
    public const int DefaultRingSize = 1 << 16;

    /// <summary>
    /// The kernel's name: the <c>kernel</c> tag on its metrics and the prefix of its log
    /// messages. Null: the event type's name.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>Slots in the ring; a power of two, at least 2. Publishers wait (or fail to try) when it is full.</summary>
    public int RingSize { get; set; } = DefaultRingSize;

    /// <summary>
    /// <see cref="ProducerType.Multi"/> (the default) lets any thread publish;
    /// <see cref="ProducerType.Single"/> is faster but allows one publishing thread at a time.
    /// </summary>
    public ProducerType ProducerType { get; set; } = ProducerType.Multi;

    /// <summary>How handlers wait for events; null: <see cref="WaitStrategy.Default"/> (spin briefly, then sleep).</summary>
    public WaitStrategy? WaitStrategy { get; set; }

    /// <summary>What a handler exception does; every exception is logged either way.</summary>
    public RingExceptionPolicy ExceptionPolicy { get; set; } = RingExceptionPolicy.Halt;

    /// <summary>Throws an exception naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (RingSize < 2 || !System.Numerics.BitOperations.IsPow2(RingSize))
            throw new ArgumentOutOfRangeException(nameof(RingSize), RingSize, $"{nameof(StreamKernelOptions)}.{nameof(RingSize)} must be a power of two, at least 2.");
        if (ProducerType is not (ProducerType.Single or ProducerType.Multi))
            throw new ArgumentOutOfRangeException(nameof(ProducerType), ProducerType, $"{nameof(StreamKernelOptions)}.{nameof(ProducerType)} is not a known producer type.");
        if (ExceptionPolicy is not (RingExceptionPolicy.Halt or RingExceptionPolicy.ReportAndContinue))
            throw new ArgumentOutOfRangeException(nameof(ExceptionPolicy), ExceptionPolicy, $"{nameof(StreamKernelOptions)}.{nameof(ExceptionPolicy)} is not a known policy.");
    }

    /// <summary>A copy, so later changes to this instance do not reach a running kernel.</summary>
    internal StreamKernelOptions Clone() => (StreamKernelOptions)MemberwiseClone();
}
