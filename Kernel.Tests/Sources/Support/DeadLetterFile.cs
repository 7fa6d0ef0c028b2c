using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Kernel.Tests.Sources.Support;

/// <summary>Reads a dead-letter file back: comment line, <c>length</c> raw bytes, newline, repeated.</summary>
public static partial class DeadLetterFile
{
    public sealed record Entry(string Header, long Line, long Byte, byte[] Raw);

    public static List<Entry> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        var entries = new List<Entry>();
        var offset = 0;
        while (offset < data.Length)
        {
            var lf = Array.IndexOf(data, (byte)'\n', offset);
            Assert.True(lf > offset, $"dead letter: comment line expected at byte {offset}");
            var header = Encoding.UTF8.GetString(data, offset, lf - offset);
            var m = HeaderPattern().Match(header);
            Assert.True(m.Success, $"dead letter: bad comment line '{header}'");
            var length = int.Parse(m.Groups["length"].Value, CultureInfo.InvariantCulture);
            var raw = data.AsSpan(lf + 1, length).ToArray();
            Assert.Equal((byte)'\n', data[lf + 1 + length]);
            entries.Add(new Entry(header, long.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["byte"].Value, CultureInfo.InvariantCulture), raw));
            offset = lf + 1 + length + 1;
        }
        return entries;
    }

    [GeneratedRegex(@"^# bad record: source=\S+ line=(?<line>\d+) byte=(?<byte>\d+) length=(?<length>\d+)( |$)")]
    private static partial Regex HeaderPattern();
}
