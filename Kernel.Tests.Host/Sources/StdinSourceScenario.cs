using System.Buffers.Text;
using System.Globalization;
using Kernel.Sources;

namespace Kernel.Tests.Host.Sources;

/// <summary>
/// Reads <c>id,value</c> CSV lines from standard input through
/// <see cref="StreamSource{T, TParser}.FromStandardInput"/> until end of input:
/// <c>stdin-source &lt;readBufferBytes&gt; [gateFile]</c>. With a gate file, the first publish
/// blocks until that file exists, printing <c>blocked &lt;bytesRead&gt;</c> when it starts and
/// <c>released &lt;bytesRead&gt;</c> when it ends, so a test can see that nothing was read from
/// stdin meanwhile. At the end it prints
/// <c>done records=&lt;n&gt; idsum=&lt;Σ id&gt; valuesum=&lt;Σ value&gt; inorder=&lt;bool&gt; position=&lt;p&gt; bytes=&lt;b&gt; maxunconsumed=&lt;m&gt;</c>.
/// </summary>
public sealed class StdinSourceScenario : IChildScenario
{
    /// <inheritdoc />
    public string Name => "stdin-source";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var readBuffer = int.Parse(args[0], CultureInfo.InvariantCulture);
        var gate = args.Length > 1 ? args[1] : null;
        var source = StreamSource<Row, RowParser>.FromStandardInput(new SourceOptions { ReadBufferSize = readBuffer, BatchSize = 256 });
        var target = new CheckingTarget(source, gate);
        source.RunAsync(target).GetAwaiter().GetResult();
        Console.WriteLine(FormattableString.Invariant(
            $"done records={target.Records} idsum={target.IdSum} valuesum={target.ValueSum} inorder={target.InOrder} position={source.Position} bytes={source.Progress.BytesRead} maxunconsumed={target.MaxUnconsumed}"));
        return 0;
    }

    /// <summary>One parsed line.</summary>
    public struct Row
    {
        /// <summary>The first field.</summary>
        public long Id;

        /// <summary>The second field.</summary>
        public long Value;
    }

    /// <summary>Parses <c>id,value</c> (two integers).</summary>
    public struct RowParser : IRecordParser<Row>
    {
        /// <inheritdoc />
        public void ParseHeader(ReadOnlySpan<byte> header) { }

        /// <inheritdoc />
        public bool TryParse(ReadOnlySpan<byte> record, out Row value, out RecordError error)
        {
            value = default;
            error = default;
            var comma = record.IndexOf((byte)',');
            if (comma < 0 || !Utf8Parser.TryParse(record[..comma], out value.Id, out var n1) || n1 != comma
                || !Utf8Parser.TryParse(record[(comma + 1)..], out value.Value, out var n2) || n2 != record.Length - comma - 1)
            {
                error = RecordError.Create(null, record, "expected id,value");
                return false;
            }
            return true;
        }
    }

    private sealed class CheckingTarget(StreamSource<Row, RowParser> source, string? gate) : ISourceTarget<Row>
    {
        private string? _gate = gate;

        public long Records { get; private set; }
        public long IdSum { get; private set; }
        public long ValueSum { get; private set; }
        public bool InOrder { get; private set; } = true;
        public long MaxUnconsumed { get; private set; }

        public async ValueTask PublishAsync(ReadOnlyMemory<Row> events, ReadOnlyMemory<long> positions, CancellationToken ct)
        {
            // Bytes taken from stdin that are not yet behind a published record: bounded by backpressure.
            MaxUnconsumed = Math.Max(MaxUnconsumed, source.Progress.BytesRead - positions.Span[^1]);
            if (_gate is { } path)
            {
                _gate = null;
                Console.WriteLine(FormattableString.Invariant($"blocked {source.Progress.BytesRead}"));
                while (!File.Exists(path)) await Task.Delay(5, ct).ConfigureAwait(false);
                Console.WriteLine(FormattableString.Invariant($"released {source.Progress.BytesRead}"));
            }
            foreach (var row in events.Span)
            {
                if (row.Id != Records) InOrder = false;
                Records++;
                IdSum += row.Id;
                ValueSum += row.Value;
            }
        }
    }
}
