using System.Globalization;
using System.Text;

namespace Kernel.Bench.Quick;

/// <summary>
/// Writes quick-mode records, one JSON object per line, on stdout and nothing else
/// (progress and diagnostics go to stderr). The format is the contract in ARCHITECTURE.md.
/// </summary>
public sealed class QuickReport
{
    private readonly TextWriter _out;
    private readonly List<QuickRecord> _records = new();

    /// <summary>Creates a report that writes to <paramref name="output"/>.</summary>
    public QuickReport(TextWriter output) => _out = output;

    /// <summary>Every record reported so far (the gate reads them).</summary>
    public IReadOnlyList<QuickRecord> Records => _records;

    /// <summary>Reports a case measured against a baseline from the same run.</summary>
    public void Ratio(string suite, string caseName, double opsPerSec, string baseline, double baselineOpsPerSec, double allocBytesPerOp)
    {
        var ratio = baselineOpsPerSec > 0 ? opsPerSec / baselineOpsPerSec : 0;
        var r = new QuickRecord(suite, caseName, opsPerSec, baseline, baselineOpsPerSec, ratio, allocBytesPerOp, null, 0, null);
        _records.Add(r);
        _out.WriteLine(r.ToJson());
        _out.Flush();
    }

    /// <summary>Reports a figure with no baseline (a latency, a pause, a rate of its own).</summary>
    public void Metric(string suite, string caseName, string metric, double value, string unit)
    {
        var r = new QuickRecord(suite, caseName, 0, null, 0, 0, 0, metric, value, unit);
        _records.Add(r);
        _out.WriteLine(r.ToJson());
        _out.Flush();
    }
}

/// <summary>One quick-mode record: either a ratio record or a metric record.</summary>
public sealed record QuickRecord(
    string Suite, string Case, double OpsPerSec, string? Baseline, double BaselineOpsPerSec,
    double Ratio, double AllocBytesPerOp, string? Metric, double Value, string? Unit)
{
    /// <summary>True when this record carries a metric rather than a ratio.</summary>
    public bool IsMetric => Metric is not null;

    /// <summary>The record as one line of JSON.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder(192);
        sb.Append("{\"suite\":\"").Append(Suite).Append("\",\"case\":\"").Append(Case).Append('"');
        if (IsMetric)
        {
            sb.Append(",\"metric\":\"").Append(Metric).Append("\",\"value\":").Append(Num(Value))
              .Append(",\"unit\":\"").Append(Unit).Append('"');
        }
        else
        {
            sb.Append(",\"ops_per_sec\":").Append(Num(OpsPerSec))
              .Append(",\"baseline\":\"").Append(Baseline).Append('"')
              .Append(",\"baseline_ops_per_sec\":").Append(Num(BaselineOpsPerSec))
              .Append(",\"ratio\":").Append(Num(Ratio))
              .Append(",\"alloc_bytes_per_op\":").Append(Num(AllocBytesPerOp));
        }
        return sb.Append('}').ToString();
    }

    private static string Num(double v) =>
        double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "0";
}
