namespace Kernel.Modes;

/// <summary>What a batch run read.</summary>
/// <param name="Records">Records folded into the operator.</param>
/// <param name="Bytes">Bytes read (files and logs; 0 for in-memory inputs).</param>
/// <param name="Elapsed">The run's duration, including the end of input.</param>
public readonly record struct BatchResult(long Records, long Bytes, TimeSpan Elapsed)
{
    /// <summary>Records per second.</summary>
    public double RecordsPerSecond => Elapsed.TotalSeconds > 0 ? Records / Elapsed.TotalSeconds : 0;
}
