using System.Diagnostics;
using Kernel.Runtime;

namespace Kernel.Bench.Latency;

/// <summary>
/// Publishes events on a fixed schedule: event i is due at start + i / rate, and carries that
/// <em>intended</em> time, not the time it was actually published. When the producer falls behind
/// (the ring is full, the thread was descheduled) the events it owes are published at once, still
/// stamped with their intended times, so the stall shows up in every delayed event's latency instead
/// of being hidden (coordinated omission corrected). At saturation (rate 0) each span is stamped with
/// the time it was filled, just before the publish call that may wait for space.
/// </summary>
public static class PacedProducer
{
    /// <summary>Most events published in one span (the catch-up burst after a stall).</summary>
    public const int MaxSpan = 256;

    /// <summary>Distinct keys, round-robin.</summary>
    public const int Keys = 10_000;

    /// <summary>Publishes <paramref name="events"/> events at <paramref name="eventsPerSecond"/> (0: saturation).</summary>
    /// <returns>The achieved publish rate, events per second.</returns>
    public static double Run(StreamKernel<LatencyEvent> kernel, long events, double eventsPerSecond)
    {
        var buffer = new LatencyEvent[MaxSpan];
        var ticksPerEvent = eventsPerSecond > 0 ? Stopwatch.Frequency / eventsPerSecond : 0;
        var start = Stopwatch.GetTimestamp();
        long sent = 0;
        while (sent < events)
        {
            var now = Stopwatch.GetTimestamp();
            int n;
            if (ticksPerEvent > 0)
            {
                var due = Math.Min(events, (long)((now - start) / ticksPerEvent) + 1);
                n = (int)Math.Min(due - sent, MaxSpan);
                if (n <= 0) continue; // spin: the next event is not due yet
                for (var k = 0; k < n; k++)
                {
                    var i = sent + k;
                    buffer[k] = new LatencyEvent { Key = i % Keys, Amount = 1, IntendedTicks = start + (long)(i * ticksPerEvent) };
                }
            }
            else
            {
                n = (int)Math.Min(events - sent, MaxSpan);
                for (var k = 0; k < n; k++)
                    buffer[k] = new LatencyEvent { Key = (sent + k) % Keys, Amount = 1, IntendedTicks = now };
            }
            kernel.Publish(buffer.AsSpan(0, n));
            sent += n;
        }
        return events / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
