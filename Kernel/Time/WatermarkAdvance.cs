namespace Kernel.Time;

/// <summary>When a bounded-out-of-orderness watermark moves.</summary>
public enum WatermarkAdvance
{
    /// <summary>
    /// After every record (punctuated): deterministic, the same for every run over the same input;
    /// what files, replays and tests use. The default.
    /// </summary>
    PerRecord = 0,

    /// <summary>Every watermark interval of processing time (checked once per batch): cheaper on a live stream.</summary>
    Periodic = 1,
}
