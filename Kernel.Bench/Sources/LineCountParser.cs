using Kernel.Sources;

namespace Kernel.Bench.Sources;

/// <summary>
/// Accepts every record and keeps only its length: with it the ingestion benchmark measures
/// framing and batching alone, to set beside a bare IndexOf loop (the physical limit).
/// </summary>
public struct LineCountParser : IRecordParser<Order>
{
    public void ParseHeader(ReadOnlySpan<byte> header)
    {
    }

    public bool TryParse(ReadOnlySpan<byte> record, out Order value, out RecordError error)
    {
        value = default;
        value.Quantity = record.Length;
        error = default;
        return true;
    }
}
