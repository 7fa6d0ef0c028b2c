using System.Buffers;
using Kernel.Operators;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>
/// Orders that arrived after their day closed (beyond out-of-orderness and lateness): counted,
/// summed, and written in the input format when a late file is asked for. Never dropped silently.
/// </summary>
public sealed class LateOrders : ILateEventSink<Order>, IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);
    private readonly FileStream? _file;
    private readonly string? _path;

    /// <summary>Collects late orders, writing them to <paramref name="path"/> (through a temp file) when given.</summary>
    public LateOrders(string? path)
    {
        _path = path;
        if (path is null) return;
        _file = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _file.Write("order_id,product_id,customer_id,price_cents,quantity,event_time\n"u8);
    }

    /// <summary>How many orders were late.</summary>
    public long Count { get; private set; }

    /// <summary>What the late orders were worth.</summary>
    public long RevenueCents { get; private set; }

    /// <inheritdoc />
    public void OnLateEvent(in Order e, long eventTimeMs, long watermark)
    {
        Count++;
        RevenueCents += e.RevenueCents;
        if (_file is null) return;
        WriteLine(e);
        if (_buffer.WrittenCount > (1 << 15)) Flush();
    }

    /// <summary>Writes what is buffered and makes the file visible under its real name.</summary>
    public void Complete()
    {
        if (_file is null) return;
        Flush();
        _file.Dispose();
        File.Move(_path + ".tmp", _path!, overwrite: true);
    }

    // orders.csv's own format, so a late file can be fed back in.
    private void WriteLine(in Order e)
    {
        var n = Generation.OrderLine.Format(_buffer.GetSpan(160), e.OrderId, e.ProductId, e.CustomerId, e.PriceCents, e.Quantity, e.TimestampMs);
        _buffer.Advance(n);
    }

    private void Flush()
    {
        _file!.Write(_buffer.WrittenSpan);
        _buffer.ResetWrittenCount();
    }

    /// <inheritdoc />
    public void Dispose() => _file?.Dispose();
}
