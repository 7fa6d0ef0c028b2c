namespace Kernel.Ring;

/// <summary>
/// What a thread blocked on a <see cref="ProgressSignal"/> waits for. A struct implementation
/// keeps the wait free of delegates and allocation.
/// </summary>
internal interface IWaitCondition
{
    /// <summary>True when the waiter may stop waiting (the awaited progress happened, or the ring was halted).</summary>
    bool IsSatisfied();
}
