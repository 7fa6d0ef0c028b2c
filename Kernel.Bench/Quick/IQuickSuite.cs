namespace Kernel.Bench.Quick;

/// <summary>
/// A quick-mode suite: short, fixed work measured in process, every case beside a baseline
/// measured in the same run. Suites are found by reflection, so adding one touches no shared file.
/// </summary>
public interface IQuickSuite
{
    /// <summary>The name used on the command line: <c>quick &lt;name&gt;</c>.</summary>
    string Name { get; }

    /// <summary>Runs every case and reports one record per (case, baseline).</summary>
    void Run(QuickReport report);
}
