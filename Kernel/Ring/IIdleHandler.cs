namespace Kernel.Ring;

/// <summary>
/// A ring handler that lets processing time act while no entry arrives: its processor calls
/// <see cref="OnIdle"/> on the handler's own thread (never concurrently with
/// <see cref="IBatchHandler{T}.OnBatch"/>) each time it has waited an idle interval
/// (<c>StreamKernelOptions.IdleInterval</c>, <see cref="RingPipeline{T}.IdleInterval"/>) with nothing
/// to read. A windowed operator uses it for periodic emission, periodic watermarks and idle sources
/// on a quiet stream. Costs nothing per event: the processor only looks at the time while it waits.
/// </summary>
public interface IIdleHandler
{
    /// <summary>No entry arrived for the idle interval. Called on the handler's thread, between batches.</summary>
    void OnIdle();
}
