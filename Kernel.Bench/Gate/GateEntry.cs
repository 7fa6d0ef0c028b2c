using System.Text.Json.Serialization;

namespace Kernel.Bench.Gate;

/// <summary>One gated metric in <c>baseline.json</c>: the recorded value and how far it may move.</summary>
public sealed class GateEntry
{
    /// <summary>The value recorded by <c>--update-baseline</c>.</summary>
    [JsonPropertyName("value")]
    public double Value { get; set; }

    /// <summary>
    /// For ratios and rates: the fraction the measured value may fall below <see cref="Value"/>
    /// (0.3 = a 30% drop is tolerated). For allocations and latencies: bytes or units it may rise.
    /// </summary>
    [JsonPropertyName("tolerance")]
    public double Tolerance { get; set; }

    /// <summary>True for metrics still noisy after re-measurement: reported, never failing.</summary>
    [JsonPropertyName("warnOnly")]
    public bool WarnOnly { get; set; }
}
