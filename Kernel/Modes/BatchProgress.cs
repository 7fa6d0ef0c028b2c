namespace Kernel.Modes;

/// <summary>
/// How far a batch run has got: what a progress bar shows. Totals are −1 when unknown (an
/// enumerable of unknown length); the ETA is then null.
/// </summary>
/// <param name="Records">Records read so far.</param>
/// <param name="Bytes">Bytes read so far (files and logs; 0 for in-memory inputs).</param>
/// <param name="TotalRecords">Records in the input, or −1.</param>
/// <param name="TotalBytes">Bytes in the input, or −1.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="IsFinal">True for the report at the end of the input.</param>
public readonly record struct BatchProgress(long Records, long Bytes, long TotalRecords, long TotalBytes, TimeSpan Elapsed, bool IsFinal)
{
    /// <summary>Records per second since the start.</summary>
    public double RecordsPerSecond => Elapsed.TotalSeconds > 0 ? Records / Elapsed.TotalSeconds : 0;

    /// <summary>Bytes per second since the start.</summary>
    public double BytesPerSecond => Elapsed.TotalSeconds > 0 ? Bytes / Elapsed.TotalSeconds : 0;

    /// <summary>The fraction done (0 … 1), by bytes when their total is known, else by records; null when neither total is.</summary>
    public double? Fraction =>
        TotalBytes > 0 ? Math.Min(1.0, (double)Bytes / TotalBytes)
        : TotalRecords > 0 ? Math.Min(1.0, (double)Records / TotalRecords)
        : TotalBytes == 0 || TotalRecords == 0 ? 1.0 : null;

    /// <summary>The time left at the rate so far; null when the total or the rate is not known yet.</summary>
    public TimeSpan? Eta
    {
        get
        {
            if (IsFinal) return TimeSpan.Zero;
            var f = Fraction;
            if (f is not { } done || done <= 0) return null;
            return TimeSpan.FromTicks((long)(Elapsed.Ticks * (1 - done) / done));
        }
    }
}
