namespace Kernel.Bench.Quick;

/// <summary>
/// Several classes contributing cases to one suite name (for example <c>aggregate</c>'s operator
/// cases and its end-to-end case through the ring), run one after another in name order.
/// </summary>
public sealed class CompositeSuite(string name, IReadOnlyList<IQuickSuite> parts) : IQuickSuite
{
    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public void Run(QuickReport report)
    {
        foreach (var part in parts) part.Run(report);
    }
}
