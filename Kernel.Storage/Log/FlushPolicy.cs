namespace Kernel.Storage.Log;

/// <summary>When the log forces appended records to the disk (advancing <see cref="SegmentedLog.DurableOffset"/>).</summary>
public enum FlushPolicy
{
    /// <summary>Never by itself: pages reach the disk when the OS writes them back, or on <see cref="SegmentedLog.Flush"/>.</summary>
    None = 0,

    /// <summary>A background thread flushes every <see cref="LogOptions.FlushInterval"/> when there is something new.</summary>
    Interval = 1,

    /// <summary>Only when <see cref="SegmentedLog.Flush"/> is called (checkpoints call it), and on dispose.</summary>
    OnDemand = 2,

    /// <summary>Every <see cref="SegmentedLog.Commit"/> (so every single append, and every batch once) waits for the disk.</summary>
    EveryAppend = 3,
}
