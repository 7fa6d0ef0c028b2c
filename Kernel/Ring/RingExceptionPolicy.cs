namespace Kernel.Ring;

/// <summary>What a <see cref="RingPipeline{T}"/> does when a handler throws.</summary>
public enum RingExceptionPolicy
{
    /// <summary>
    /// Stop every processor of the pipeline; the exception faults
    /// <see cref="RingPipeline{T}.Completion"/> and is kept in <see cref="RingPipeline{T}.Fault"/>.
    /// Producers waiting for room get an exception instead of waiting forever.
    /// </summary>
    Halt = 0,

    /// <summary>
    /// Hand the exception to the pipeline's error callback, count the failed batch as handled and
    /// go on with the next one. The handler may have processed part of the failed batch.
    /// </summary>
    ReportAndContinue = 1,
}
