namespace Kernel.Journal;

/// <summary>For events without a time: every journal record gets timestamp 0.</summary>
/// <typeparam name="T">The event type.</typeparam>
public readonly struct NoEventTimestamp<T> : IEventTimestamp<T>
    where T : unmanaged
{
    /// <inheritdoc />
    public long TimestampOf(in T e) => 0;
}
