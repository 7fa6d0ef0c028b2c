using System.Buffers;
using System.Text;

namespace Kernel.Sinks;

/// <summary>Builds <see cref="IRowFormatter{TRow}"/>s from delegates until the generated row writers exist.</summary>
public static class RowFormatter
{
    /// <summary>A formatter from a header and a writer that emits UTF-8 directly (no allocation per row).</summary>
    /// <param name="header">The header line without its line break, or null.</param>
    /// <param name="write">Writes one row as one line ending with <c>\n</c>.</param>
    public static IRowFormatter<TRow> Create<TRow>(string? header, RowWriter<TRow> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        return new DelegateFormatter<TRow>(header, write);
    }

    /// <summary>
    /// A formatter from a header and a function returning each row's line (without the line break).
    /// Allocates a string per row: for tests, samples and low-rate outputs.
    /// </summary>
    public static IRowFormatter<TRow> FromText<TRow>(string? header, Func<TRow, string> line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return new DelegateFormatter<TRow>(header, (in TRow row, IBufferWriter<byte> output) =>
        {
            var text = line(row);
            var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length) + 1);
            var length = Encoding.UTF8.GetBytes(text, span);
            span[length] = (byte)'\n';
            output.Advance(length + 1);
        });
    }

    private sealed class DelegateFormatter<TRow>(string? header, RowWriter<TRow> write) : IRowFormatter<TRow>
    {
        public string? Header { get; } = header;

        public void Format(in TRow row, IBufferWriter<byte> output) => write(row, output);
    }
}
