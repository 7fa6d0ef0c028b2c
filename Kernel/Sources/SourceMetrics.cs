using System.Diagnostics.Metrics;

namespace Kernel.Sources;

/// <summary>
/// The source instruments on the <c>Kernel</c> meter (listen by <see cref="MeterName"/>). Every instrument carries a <c>source</c>
/// tag (a file name, <c>stdin</c> or <c>tcp:port</c>); sources add to them once per read buffer.
/// </summary>
public static class SourceMetrics
{
    /// <summary>The meter name shared by every Kernel instrument.</summary>
    public const string MeterName = "Kernel";

    private static readonly Meter s_meter = new(MeterName);

    /// <summary><c>kernel.source.bytes_read</c>: bytes framed by sources.</summary>
    internal static Counter<long> BytesRead { get; } =
        s_meter.CreateCounter<long>("kernel.source.bytes_read", "By", "Bytes framed by sources.");

    /// <summary><c>kernel.source.records_read</c>: records parsed into events by sources.</summary>
    internal static Counter<long> RecordsRead { get; } =
        s_meter.CreateCounter<long>("kernel.source.records_read", "{record}", "Records parsed into events by sources.");

    /// <summary><c>kernel.source.bad_records</c>: records sources could not frame or parse.</summary>
    internal static Counter<long> BadRecords { get; } =
        s_meter.CreateCounter<long>("kernel.source.bad_records", "{record}", "Records sources could not frame or parse.");
}
