using System.Threading.Channels;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// Baseline <c>channels</c>: what a .NET user writes for a producer→consumer pipeline — a bounded
/// <see cref="Channel{T}"/> (single reader, single writer, 64K capacity like the ring) with the
/// producer on the calling thread writing one order at a time and a consumer task draining it into
/// the <see cref="HandLoop"/>.
/// </summary>
public sealed class ChannelsCase : HeadlineCase
{
    private const int Capacity = 1 << 16;
    private HandLoop _loop = new();

    /// <inheritdoc/>
    public override string Name => "channels";

    /// <inheritdoc/>
    public override HeadlineTotals Totals => _loop.Totals;

    /// <inheritdoc/>
    public override void Prepare() => _loop = new HandLoop();

    /// <inheritdoc/>
    public override void Run(HeadlineOrder[] orders)
    {
        var channel = Channel.CreateBounded<HeadlineOrder>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
        var loop = _loop;
        var consumer = Task.Run(async () =>
        {
            var reader = channel.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var o)) loop.Add(o);
            }
            loop.Finish();
        });
        Produce(channel.Writer, orders).GetAwaiter().GetResult();
        consumer.GetAwaiter().GetResult();
    }

    private static async Task Produce(ChannelWriter<HeadlineOrder> writer, HeadlineOrder[] orders)
    {
        for (var i = 0; i < orders.Length; i++)
        {
            while (!writer.TryWrite(orders[i]))
            {
                if (!await writer.WaitToWriteAsync().ConfigureAwait(false)) return;
            }
        }
        writer.Complete();
    }
}
