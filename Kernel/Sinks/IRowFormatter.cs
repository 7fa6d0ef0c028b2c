using System.Buffers;

namespace Kernel.Sinks;

/// <summary>Turns rows into the lines of a text output (CSV, JSON lines). Implementations are stateless.</summary>
/// <typeparam name="TRow">The row type.</typeparam>
public interface IRowFormatter<TRow>
{
    /// <summary>The header line without its line break (a CSV header), or null for formats without one (JSON lines).</summary>
    string? Header { get; }

    /// <summary>Writes one row as one complete line, UTF-8, ending with <c>\n</c>.</summary>
    void Format(in TRow row, IBufferWriter<byte> output);
}
