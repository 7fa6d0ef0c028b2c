using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// Baseline <c>akka</c>: Akka.Streams — <c>Source.From(orders)</c> into a <c>Sink.Aggregate</c>
/// whose fold is the <see cref="HandLoop"/> (Akka.Streams has no keyed event-time window that
/// emits one final row per key and day either, so the fold is the loop's, as for <c>rx</c> and
/// <c>r3</c>). Source and sink are fused into one stream actor (Akka's default and fastest
/// layout; no async boundary), run by the materializer; the caller waits for the sink's task.
/// One actor system serves every run; it is built before the clock starts and terminated at the
/// end of the suite.
/// </summary>
public sealed class AkkaCase : HeadlineCase, IDisposable
{
    // Quick mode's stdout carries only JSON records: Akka must not log there.
    private static readonly Config s_config = ConfigurationFactory.ParseString("""
        akka {
          loglevel = OFF
          stdout-loglevel = OFF
          log-config-on-start = off
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
        }
        """);

    private ActorSystem? _system;
    private IMaterializer? _materializer;
    private HandLoop _loop = new();

    /// <inheritdoc/>
    public override string Name => "akka";

    /// <inheritdoc/>
    public override HeadlineTotals Totals => _loop.Totals;

    /// <inheritdoc/>
    public override void Prepare()
    {
        _loop = new HandLoop();
        if (_system is null)
        {
            _system = ActorSystem.Create("headline", s_config);
            _materializer = _system.Materializer();
        }
    }

    /// <inheritdoc/>
    public override void Run(HeadlineOrder[] orders)
    {
        var loop = _loop;
        var done = Source.From(orders)
            .RunWith(Sink.Aggregate<HeadlineOrder, HandLoop>(loop, static (l, o) =>
            {
                l.Add(o);
                return l;
            }), _materializer!);
        done.GetAwaiter().GetResult().Finish();
    }

    /// <summary>Terminates the actor system.</summary>
    public void Dispose()
    {
        _system?.Terminate().Wait(TimeSpan.FromSeconds(10));
        _system?.Dispose();
        _system = null;
    }
}
