using Kernel.Sources;

namespace Kernel.Tests.Sources.Support;

/// <summary>Parses a binary payload into its length and byte sum; rejects a payload that starts with 'X'.</summary>
public struct FrameRowParser : IRecordParser<FrameRow>
{
    public void ParseHeader(ReadOnlySpan<byte> header)
    {
    }

    public bool TryParse(ReadOnlySpan<byte> record, out FrameRow value, out RecordError error)
    {
        error = default;
        value = default;
        if (!record.IsEmpty && record[0] == (byte)'X')
        {
            error = RecordError.Create("payload", record[..1], "starts with X");
            return false;
        }
        long sum = 0;
        foreach (var b in record) sum += b;
        value = new FrameRow(record.Length, sum);
        return true;
    }
}
