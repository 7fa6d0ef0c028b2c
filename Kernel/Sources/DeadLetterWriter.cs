using System.Globalization;
using System.Text;

namespace Kernel.Sources;

/// <summary>
/// Appends bad records to a dead-letter file, each as one comment line naming the error and
/// position, then the record's raw bytes, then a newline:
/// <code>
/// # bad record: source=orders.csv line=3 byte=57 length=12 column=price value="x" reason=not an integer
/// 1,2,x,4,5,6
/// </code>
/// <c>length</c> is the exact number of raw bytes that follow the comment line, so binary
/// payloads (which may hold newlines) can be read back unambiguously. An over-long record is cut
/// to the source's maximum record length; its reason says so.
/// </summary>
/// <remarks>
/// Thread-safe: a TCP source shares one writer between its connections. The file is opened
/// (created if needed) at the first bad record. Writes take a lock,
/// which is fine on the failure path. Each entry is flushed to the OS before the call returns.
/// </remarks>
internal sealed class DeadLetterWriter : IDisposable
{
    private readonly object _gate = new();
    // Guarded by _gate. Opened at the first bad record, so a clean run leaves no file behind.
    private FileStream? _stream;

    public DeadLetterWriter(string path) => Path = path;

    public string Path { get; }

    public void Write(BadRecord record, ReadOnlySpan<byte> raw)
    {
        var sb = new StringBuilder(160);
        sb.Append("# bad record: source=").Append(Clean(record.Source))
          .Append(" line=").Append(record.Line.ToString(CultureInfo.InvariantCulture))
          .Append(" byte=").Append(record.BytePosition.ToString(CultureInfo.InvariantCulture))
          .Append(" length=").Append(raw.Length.ToString(CultureInfo.InvariantCulture));
        if (record.Column is not null) sb.Append(" column=").Append(Clean(record.Column));
        if (record.Value is not null) sb.Append(" value=\"").Append(Clean(record.Value)).Append('"');
        sb.Append(" reason=").Append(Clean(record.Reason)).Append('\n');
        var header = Encoding.UTF8.GetBytes(sb.ToString());
        lock (_gate)
        {
            _stream ??= new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
            _stream.Write(header);
            _stream.Write(raw);
            _stream.WriteByte((byte)'\n');
            _stream.Flush();
        }
    }

    // The comment must stay one line: control characters become escapes.
    private static string Clean(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\0', '\u001f') < 0) return text;
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c >= ' ') sb.Append(c);
            else sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    public void Dispose()
    {
        lock (_gate) _stream?.Dispose();
    }
}
