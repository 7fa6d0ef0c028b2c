using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using Kernel.Journal;
using Kernel.Operators;
using Kernel.Sinks;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// The stream job's exactly-once outputs in the data directory: final rows and late orders go to
/// transactional sinks (<c>out/revenue.rows.csv</c>, <c>out/late.csv</c>), whose epochs are sealed
/// at each barrier and made visible when the checkpoint completes; final rows are also upserted into
/// the results table (<c>results/</c>, an LSM store) in the same epochs. At the end of the input the job
/// turns the committed files into revenue.csv (sorted) and late.csv. Rows are also tapped live
/// (uncommitted) for the dashboard.
/// </summary>
public sealed class CommittedOutputs : IRowSink<DailyRevenue>, ILateEventSink<Order>, IDisposable
{
    /// <summary>The header of the committed rows file.</summary>
    public const string RowsHeader = "day_start_ms,product_id,revenue_cents,orders";

    /// <summary>The header of late.csv (orders.csv's own).</summary>
    public const string LateHeader = "order_id,product_id,customer_id,price_cents,quantity,event_time";

    private readonly RevenueTable _live;
    private readonly LateTally _liveLate;

    /// <summary>Creates the sinks under <paramref name="dataDirectory"/>/out.</summary>
    public CommittedOutputs(string dataDirectory, RevenueTable live, LateTally liveLate)
    {
        var dir = Path.Combine(dataDirectory, "out");
        RowsPath = Path.Combine(dir, "revenue.rows.csv");
        LatePath = Path.Combine(dir, "late.csv");
        Rows = new TransactionalFileSink<DailyRevenue>(RowsPath, new RowsFormat(), "revenue");
        Late = new TransactionalFileSink<Order>(LatePath, new LateFormat(), "late");
        Results = new ResultsTable(DataDirectory.Results(dataDirectory), "results");
        _live = live;
        _liveLate = liveLate;
    }

    /// <summary>The committed final rows.</summary>
    public TransactionalFileSink<DailyRevenue> Rows { get; }

    /// <summary>The committed late orders.</summary>
    public TransactionalFileSink<Order> Late { get; }

    /// <summary>The results table: the same final rows, upserted by (product, day) at each commit (what <c>revenue query</c> reads).</summary>
    public ResultsTable Results { get; }

    /// <summary>The committed rows file.</summary>
    public string RowsPath { get; }

    /// <summary>The committed late orders file.</summary>
    public string LatePath { get; }

    /// <summary>Seals both sinks' epoch (at a barrier, on the operator's thread).</summary>
    public void SealEpoch(long epoch)
    {
        Rows.SealEpoch(epoch);
        Late.SealEpoch(epoch);
        Results.SealEpoch(epoch);
    }

    /// <inheritdoc />
    public void OnRow(in DailyRevenue row, in RowRevision revision)
    {
        if (!revision.IsFinal) return;
        Rows.Write(row);
        Results.Write(row);
        _live.Add(row);
    }

    /// <inheritdoc />
    public void OnLateEvent(in Order e, long eventTimeMs, long watermark)
    {
        Late.Write(e);
        _liveLate.Add(e.RevenueCents);
    }

    /// <summary>Reads the committed rows into a table (a second row for a (day, product) throws: exactly once is checked here too).</summary>
    public RevenueTable ReadCommittedRows()
    {
        var table = new RevenueTable();
        if (!File.Exists(RowsPath)) return table;
        foreach (var line in File.ReadLines(RowsPath).Skip(1))
        {
            if (line.Length == 0) continue;
            var f = line.Split(',');
            table.Add(new DailyRevenue
            {
                DayStartMs = long.Parse(f[0], CultureInfo.InvariantCulture),
                ProductId = long.Parse(f[1], CultureInfo.InvariantCulture),
                RevenueCents = long.Parse(f[2], CultureInfo.InvariantCulture),
                Orders = long.Parse(f[3], CultureInfo.InvariantCulture),
            });
        }
        return table;
    }

    /// <summary>Counts the committed late orders.</summary>
    public LateTally ReadCommittedLate()
    {
        var tally = new LateTally();
        if (!File.Exists(LatePath)) return tally;
        foreach (var line in File.ReadLines(LatePath).Skip(1))
        {
            if (line.Length == 0) continue;
            var f = line.Split(',');
            tally.Add(long.Parse(f[3], CultureInfo.InvariantCulture) * long.Parse(f[4], CultureInfo.InvariantCulture));
        }
        return tally;
    }

    /// <summary>Copies the committed late orders to <paramref name="path"/> through a temp file and a rename.</summary>
    public void CopyLateTo(string path)
    {
        var temp = path + ".tmp";
        if (File.Exists(LatePath)) File.Copy(LatePath, temp, overwrite: true);
        else File.WriteAllText(temp, LateHeader + "\n");
        File.Move(temp, path, overwrite: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Rows.Dispose();
        Late.Dispose();
        Results.Dispose();
    }

    private sealed class RowsFormat : IRowFormatter<DailyRevenue>
    {
        public string Header => RowsHeader;

        public void Format(in DailyRevenue row, IBufferWriter<byte> output)
        {
            var d = output.GetSpan(96);
            var n = Field(d, row.DayStartMs, ',');
            n += Field(d[n..], row.ProductId, ',');
            n += Field(d[n..], row.RevenueCents, ',');
            n += Field(d[n..], row.Orders, '\n');
            output.Advance(n);
        }

        private static int Field(Span<byte> d, long v, char end)
        {
            Utf8Formatter.TryFormat(v, d, out var w);
            d[w] = (byte)end;
            return w + 1;
        }
    }

    private sealed class LateFormat : IRowFormatter<Order>
    {
        public string Header => LateHeader;

        public void Format(in Order e, IBufferWriter<byte> output)
        {
            var n = Generation.OrderLine.Format(output.GetSpan(160), e.OrderId, e.ProductId, e.CustomerId, e.PriceCents, e.Quantity, e.TimestampMs);
            output.Advance(n);
        }
    }
}
