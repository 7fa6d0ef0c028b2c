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

    /// <summary>The default <see cref="IdleInterval"/>: 100 ms.</summary>
    public static readonly TimeSpan DefaultIdleInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a handler that implements <see cref="IIdleHandler"/> (a windowed operator) may wait with
    /// no entry arriving before its <see cref="IIdleHandler.OnIdle"/> runs on its own thread, and then again
    /// after each further interval while the stream stays quiet. That is what lets processing time act with
    /// no traffic: periodic emission, periodic watermarks, idle sources. It bounds how late those act on a
    /// quiet stream; on a busy one they act after every batch anyway. Whole milliseconds (at least 1);
    /// <see cref="TimeSpan.Zero"/> or <see cref="Timeout.InfiniteTimeSpan"/>: never (processing time then acts
    /// only when entries arrive). Default <see cref="DefaultIdleInterval"/>. Nothing is done per event.
    /// </summary>
    public TimeSpan IdleInterval { get; set; } = DefaultIdleInterval;

    /// <summary>Throws an exception naming the first setting that is out of range.</summary>
    public void Validate()
    {
        if (RingSize < 2 || !System.Numerics.BitOperations.IsPow2(RingSize))
            throw new ArgumentOutOfRangeException(nameof(RingSize), RingSize, $"{nameof(StreamKernelOptions)}.{nameof(RingSize)} must be a power of two, at least 2.");
        if (ProducerType is not (ProducerType.Single or ProducerType.Multi))
            throw new ArgumentOutOfRangeException(nameof(ProducerType), ProducerType, $"{nameof(StreamKernelOptions)}.{nameof(ProducerType)} is not a known producer type.");
        if (ExceptionPolicy is not (RingExceptionPolicy.Halt or RingExceptionPolicy.ReportAndContinue))
            throw new ArgumentOutOfRangeException(nameof(ExceptionPolicy), ExceptionPolicy, $"{nameof(StreamKernelOptions)}.{nameof(ExceptionPolicy)} is not a known policy.");
        if (IdleInterval < TimeSpan.Zero && IdleInterval != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(IdleInterval), IdleInterval, $"{nameof(StreamKernelOptions)}.{nameof(IdleInterval)} must not be negative (Timeout.InfiniteTimeSpan or zero: never).");
    }

    /// <summary>A copy, so later changes to this instance do not reach a running kernel.</summary>
    internal StreamKernelOptions Clone() => (StreamKernelOptions)MemberwiseClone();
}
