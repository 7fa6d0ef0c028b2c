using System.Buffers.Binary;
using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

/// <summary>
/// Seeded random inputs, mostly garbage, through both framings at random segment sizes. Never a
/// crash; every event, position and bad record must match a plain reference framer written
/// here (split on LF, walk length prefixes), and every reported position lies inside the input.
/// </summary>
public sealed class GarbageInputTests
{
    private static readonly byte[] s_alphabet = "0123456789,,,,\n\n\n\r--xX "u8.ToArray();

    private static byte[] RandomInput(Random random, bool frames, int maxLength)
    {
        var data = new byte[random.Next(0, maxLength)];
        for (var i = 0; i < data.Length; i++)
            data[i] = random.Next(10) == 0 ? (byte)random.Next(256) : s_alphabet[random.Next(s_alphabet.Length)];
        if (frames)
        {
            // Mostly plausible lengths so that many frames parse.
            for (var i = 0; i + 4 <= data.Length; i += random.Next(1, 30))
                if (random.Next(3) > 0) BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(i), (uint)random.Next(0, 24));
        }
        return data;
    }

    [Fact]
    public Task RandomInput_NeverCrashes_AndMatchesTheReferenceFramer() => RunAsync(seed: 20261130, iterations: 400, maxLength: 400);

    [Fact]
    [Trait("Category", "Soak")]
    public Task RandomInput_Soak_LongerInputsAndManyMoreSeeds() => RunAsync(seed: 77_000_000, iterations: 20_000, maxLength: 4000);

    private static async Task RunAsync(int seed, int iterations, int maxLength)
    {
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var random = new Random(seed + iteration);
            var frames = iteration % 2 == 1;
            var data = RandomInput(random, frames, maxLength);
            var max = random.Next(1, 40);
            var header = !frames && random.Next(2) == 0;
            var chunk = random.Next(1, 70);
            var emptySegments = random.Next(4) == 0;
            var path = Path.Combine(Path.GetTempPath(), $"kernel-sources-garbage-{Guid.NewGuid():N}.dead");
            var context = $"seed {seed + iteration} (frames={frames}, max={max}, header={header}, chunk={chunk}, empty segments={emptySegments}, length={data.Length})";
            try
            {
                var options = new SourceOptions
                {
                    Framing = frames ? RecordFraming.LengthPrefixed : RecordFraming.Lines,
                    HasHeader = header,
                    MaxRecordLength = max,
                    BatchSize = random.Next(1, 8),
                    BadRecordPolicy = BadRecordPolicy.DeadLetter,
                    DeadLetterPath = path,
                };
                var reader = new SegmentedPipeReader(data, chunk, emptySegments);
                CollectingTarget<Row>? rows = null;
                CollectingTarget<FrameRow>? frameRows = null;
                SourceProgress progress;
                long position;
                if (frames)
                {
                    var run = await SourceRun.RunAsync<FrameRow, FrameRowParser>(reader, options);
                    (frameRows, progress, position) = (run.Target, run.Progress, run.Position);
                }
                else
                {
                    var run = await SourceRun.RunAsync<Row, RowParser>(reader, options);
                    (rows, progress, position) = (run.Target, run.Progress, run.Position);
                }

                var actualBad = File.Exists(path) ? DeadLetterFile.Read(path) : [];
                foreach (var bad in actualBad)
                {
                    Assert.True(bad.Byte >= 0 && bad.Byte < data.Length, $"{context}: bad record at byte {bad.Byte} outside the input");
                    Assert.True(bad.Raw.Length <= Math.Max(max, 4), $"{context}: dead letter of {bad.Raw.Length} bytes");
                }
                Assert.Equal(data.Length, progress.BytesRead);
                if (frames)
                {
                    var (events, positions, badAt, resume) = ReferenceFrames(data, max);
                    Assert.True(resume == position, $"{context}: final position {position}, expected {resume}");
                    Assert.True(events.SequenceEqual(frameRows!.Events), $"{context}: events");
                    Assert.True(positions.SequenceEqual(frameRows.Positions), $"{context}: positions");
                    Assert.True(badAt.SequenceEqual(actualBad.Select(b => (b.Line, b.Byte))), $"{context}: bad records");
                }
                else
                {
                    var (events, positions, badAt) = ReferenceLines(data, max, header);
                    Assert.True(data.Length == position, $"{context}: final position {position}, expected the end");
                    Assert.True(events.SequenceEqual(rows!.Events), $"{context}: events");
                    Assert.True(positions.SequenceEqual(rows.Positions), $"{context}: positions");
                    Assert.True(badAt.SequenceEqual(actualBad.Select(b => (b.Line, b.Byte))), $"{context}: bad records");
                    foreach (var bad in actualBad)
                        Assert.True(data.AsSpan((int)bad.Byte, bad.Raw.Length).SequenceEqual(bad.Raw), $"{context}: raw bytes of line {bad.Line}");
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    private static (List<Row>, List<long>, List<(long, long)>) ReferenceLines(byte[] data, int max, bool header)
    {
        var events = new List<Row>();
        var positions = new List<long>();
        var bad = new List<(long, long)>();
        var parser = new RowParser();
        long line = 1;
        var start = 0;
        while (start < data.Length)
        {
            var lf = Array.IndexOf(data, (byte)'\n', start);
            var end = lf < 0 ? data.Length : lf + 1;
            var content = data.AsSpan(start, (lf < 0 ? data.Length : lf) - start);
            if (!content.IsEmpty && content[^1] == '\r') content = content[..^1];
            if (content.Length > max) bad.Add((line, start));
            else if (line == 1 && header) { }
            else if (content.IsEmpty) { }
            else if (parser.TryParse(content, out var row, out _)) { events.Add(row); positions.Add(end); }
            else bad.Add((line, start));
            line++;
            start = end;
        }
        return (events, positions, bad);
    }

    /// <summary>The frames, their positions, the bad records, and where a resume would start (before a torn or cut frame).</summary>
    private static (List<FrameRow>, List<long>, List<(long, long)>, long) ReferenceFrames(byte[] data, int max)
    {
        var events = new List<FrameRow>();
        var positions = new List<long>();
        var bad = new List<(long, long)>();
        var parser = new FrameRowParser();
        long number = 1;
        long start = 0;
        while (start < data.Length)
        {
            if (data.Length - start < 4) { bad.Add((number, start)); return (events, positions, bad, start); }
            var length = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)start));
            if (length > max)
            {
                bad.Add((number++, start));
                if (start + 4 + (long)length > data.Length) return (events, positions, bad, start);
                start += 4 + (long)length;
                continue;
            }
            if (data.Length - start - 4 < length) { bad.Add((number, start)); return (events, positions, bad, start); }
            if (parser.TryParse(data.AsSpan((int)start + 4, (int)length), out var row, out _))
            {
                events.Add(row);
                positions.Add(start + 4 + length);
            }
            else bad.Add((number, start));
            number++;
            start += 4 + length;
        }
        return (events, positions, bad, data.Length);
    }
}
