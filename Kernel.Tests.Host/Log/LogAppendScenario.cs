using System.Buffers.Binary;
using System.Globalization;
using Kernel.Storage.Log;

namespace Kernel.Tests.Host.Log;

/// <summary>
/// Appends to a log until killed: <c>log-append &lt;directory&gt; &lt;segmentBytes&gt; &lt;seed&gt; [recycle]</c>.
/// Reopens (recovers) the log first, then appends batches of records whose bytes are a function
/// of their offset (<see cref="Fill"/>), flushing every few batches and printing
/// <c>durable &lt;offset&gt;</c> after each flush returns. The test kills it and checks that every
/// record below the last printed offset survived intact. With <c>recycle</c>, retention keeps
/// three segments and freed files are reused (<see cref="RecyclingOptions"/>).
/// </summary>
public sealed class LogAppendScenario : IChildScenario
{
    /// <summary>Largest payload the scenario writes.</summary>
    public const int MaxPayload = 200;

    /// <inheritdoc />
    public string Name => "log-append";

    /// <summary>The payload length of the record at <paramref name="offset"/>.</summary>
    public static int LengthOf(long offset) => (int)((ulong)(offset * 2654435761L) % (MaxPayload + 1));

    /// <summary>The timestamp of the record at <paramref name="offset"/>.</summary>
    public static long TimeOf(long offset) => offset * 10;

    /// <summary>Fills the payload of the record at <paramref name="offset"/>.</summary>
    public static void Fill(Span<byte> payload, long offset)
    {
        for (var i = 0; i < payload.Length; i++) payload[i] = (byte)(offset * 13 + i * 29 + 3);
        if (payload.Length >= 8) BinaryPrimitives.WriteInt64LittleEndian(payload, offset);
    }

    /// <summary>The options of the <c>recycle</c> variant: retention to three segments, a pool of two spares, the next segment prepared ahead.</summary>
    public static LogOptions RecyclingOptions(long segmentBytes, FlushPolicy policy) => new()
    {
        SegmentBytes = segmentBytes,
        FlushPolicy = policy,
        RetentionBytes = 3 * segmentBytes,
        RecycleSegments = 2,
    };

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var directory = args[0];
        var segmentBytes = long.Parse(args[1], CultureInfo.InvariantCulture);
        var rng = new Random(int.Parse(args[2], CultureInfo.InvariantCulture));
        var recycle = args.Length > 3 && args[3] == "recycle";
        using var log = SegmentedLog.Open(directory, recycle
            ? RecyclingOptions(segmentBytes, FlushPolicy.OnDemand)
            : new LogOptions { SegmentBytes = segmentBytes, FlushPolicy = FlushPolicy.OnDemand });
        if (recycle) log.RetentionFloor = long.MaxValue;
        Console.WriteLine($"opened {log.EndOffset} dropped {log.Recovery.RecordsDropped}");
        var deadline = Environment.TickCount64 + 60_000; // never outlive a test that lost track of us
        var batches = 0;
        while (Environment.TickCount64 < deadline)
        {
            var n = rng.Next(1, 64);
            for (var i = 0; i < n; i++)
            {
                var offset = log.EndOffset + i;
                var length = LengthOf(offset);
                Fill(log.Reserve(length), offset);
                log.Complete(TimeOf(offset));
            }
            log.Commit();
            if (++batches % 8 == 0)
            {
                var durable = log.Flush();
                Console.WriteLine($"durable {durable}");
                Console.Out.Flush();
            }
        }
        return 0;
    }
}
