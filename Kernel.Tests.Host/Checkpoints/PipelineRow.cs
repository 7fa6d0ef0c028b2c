using System.Buffers;
using System.Globalization;
using System.Text;

namespace Kernel.Tests.Host.Checkpoints;

/// <summary>One output row of <see cref="CheckpointPipelineScenario"/>: a pure function of its sequence number.</summary>
public readonly record struct PipelineRow(long Seq, int Product, long Amount)
{
    /// <summary>Row <paramref name="seq"/>.</summary>
    public static PipelineRow At(long seq) => new(seq, (int)(seq % 5), (seq * 37 % 101) + 1);

    /// <summary>The sum of the amounts of rows 0 to <paramref name="count"/> - 1.</summary>
    public static long SumBefore(long count)
    {
        long sum = 0;
        for (long i = 0; i < count; i++) sum += At(i).Amount;
        return sum;
    }

    /// <summary>Writes the row as a CSV line.</summary>
    public static void Write(in PipelineRow row, IBufferWriter<byte> output)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{row.Seq},{row.Product},{row.Amount}\n");
        output.Advance(Encoding.UTF8.GetBytes(text, output.GetSpan(text.Length)));
    }
}
