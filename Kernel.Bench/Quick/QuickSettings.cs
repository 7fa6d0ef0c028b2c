namespace Kernel.Bench.Quick;

/// <summary>
/// Process-wide settings of quick mode. The gate runs every suite at a reduced
/// <see cref="Scale"/> so the whole gate fits in its time budget; suites multiply their fixed
/// event counts by it through <see cref="Scaled"/>.
/// </summary>
public static class QuickSettings
{
    /// <summary>Fraction of each suite's normal work to run (1 in quick mode).</summary>
    public static double Scale { get; set; } = 1.0;

    /// <summary><paramref name="count"/> scaled by <see cref="Scale"/>, never below <paramref name="minimum"/>.</summary>
    public static long Scaled(long count, long minimum = 1) => Math.Max(minimum, (long)(count * Scale));
}
