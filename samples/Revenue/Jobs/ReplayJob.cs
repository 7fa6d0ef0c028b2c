using Kernel.Journal;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.Storage.Log;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// <c>revenue replay</c>: the journal of a stream run, from an offset, fed through a fresh instance
/// of the same declaration with stream semantics — journal order (the order the stream saw), the
/// watermark advanced per record, the same out-of-orderness and lateness — at full speed. At the end
/// of the journal the watermark goes to +∞ and every remaining day fires, as at the end of a stream.
/// Replayed from offset 0, the rows equal the stream's revenue.csv; late orders are late again.
/// </summary>
public static class ReplayJob
{
    private const int BatchSize = 1024;

    /// <summary>What a replay produced.</summary>
    /// <param name="Table">The final rows.</param>
    /// <param name="Late">The orders that were late again.</param>
    /// <param name="FromOffset">The first journal offset replayed.</param>
    /// <param name="Records">Orders replayed.</param>
    public sealed record Result(RevenueTable Table, LateTally Late, long FromOffset, long Records);

    /// <summary>Replays <paramref name="log"/> from <paramref name="fromOffset"/> to its end.</summary>
    public static Result Run(SegmentedLog log, long fromOffset, long outOfOrdernessMs, long latenessMs)
    {
        ArgumentNullException.ThrowIfNull(log);
        var table = new RevenueTable();
        var late = new LateTally();
        var op = new DailyOperator(new TableSink(table), new LateCounter(late),
            new WindowOptions { MaxOutOfOrdernessMs = outOfOrdernessMs, AllowedLatenessMs = latenessMs });
        var batch = new RingEntry<Order>[BatchSize];
        long records = 0;
        var n = 0;
        using (var reader = log.OpenReader(fromOffset))
        {
            while (reader.TryRead(out var record))
            {
                ref var slot = ref batch[n];
                if (!JournalRecord.TryRead(record.Payload, out slot.Event, out var position, out var source))
                    throw new InvalidDataException(
                        $"journal {log.Directory}: record at offset {record.Offset} has {record.Payload.Length} bytes, a journaled order has {JournalRecord.LengthOf<Order>()}");
                slot.Kind = EntryKind.Event;
                slot.SourceId = source;
                slot.Value = position;
                if (++n == BatchSize)
                {
                    op.OnBatch(batch, records);
                    records += n;
                    n = 0;
                }
            }
        }
        if (n > 0)
        {
            op.OnBatch(batch.AsSpan(0, n), records);
            records += n;
        }
        op.EndOfInput();
        return new Result(table, late, fromOffset, records);
    }

    private sealed class LateCounter(LateTally tally) : ILateEventSink<Order>
    {
        public void OnLateEvent(in Order e, long eventTimeMs, long watermark) => tally.Add(e.RevenueCents);
    }
}
