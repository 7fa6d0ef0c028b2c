using System.Globalization;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// Issue 4's semantics as a table: each row is a window declaration, a script of ring entries and processing-time
/// steps, and the transcript they must produce, derived by hand from the rules in docs/event-time.md (the comment
/// on each row gives the watermark that explains it). Every entry goes through <c>OnBatch</c> on its own, so the
/// transcript says which step emitted which rows and which event was late.
/// </summary>
/// <remarks>
/// <para>Declaration: <c>tumbling 10</c>, <c>tumbling 10+3</c> (offset 3), <c>sliding 10/5</c>, <c>session 10</c>,
/// then settings: <c>B=</c> bound, <c>L=</c> allowed lateness, <c>sources=</c>, <c>idle=</c> timeout in ms, and an emit
/// mode (<c>OnWindowClose</c>, <c>EveryUpdate</c>; Final when absent).</para>
/// <para>Script: <c>k@t</c> an order of product k at time t (100 cents) from source 0, <c>1:k@t</c> from source 1;
/// <c>W9</c> an in-band watermark 9 from source 0, <c>1:W9</c> from source 1; <c>+n</c> n ms of processing time, then a
/// tick; <c>END</c> end of input.</para>
/// <para>Transcript: one line per step that emitted or was late, <c>step → row, row</c> with rows as
/// <c>key@start-end:orders/revenue rN</c> (F when final), or <c>step → late</c>.</para>
/// </remarks>
public sealed class WindowedSemanticsTableTests
{
    public static TheoryData<string, string, string, string[]> Table() => new()
    {
        // W = largest time − B − 1 per record. [0,10) fires when W reaches 9: after 10, not after 9 (W = 8).
        { "fires exactly at end − 1", "tumbling 10", "1@0 1@5 1@9 1@10 1@9 END",
            ["1@10 → 1@0-10:3/300 r0F", "1@9 → late", "END → 1@10-20:1/100 r0F"] },
        // B = 5: 14 makes W = 8, so 7 still counts; 15 makes W = 9.
        { "the bound delays firing", "tumbling 10, B=5", "1@1 1@12 1@14 1@7 1@15",
            ["1@15 → 1@0-10:2/200 r0F"] },
        // L = 5: fired at W = 9 (r0); 3 and 4 are allowed late (9 + 5 > 9, > 13); 15 makes W = 14 = 9 + 5: the final
        // revision; 5 is then late (14 ≤ 14).
        { "lateness exactly at the limit", "tumbling 10, L=5, OnWindowClose", "1@0 1@10 1@3 1@14 1@4 1@15 1@5",
            ["1@10 → 1@0-10:1/100 r0", "1@3 → 1@0-10:2/200 r1", "1@4 → 1@0-10:3/300 r2", "1@15 → 1@0-10:3/300 r3F", "1@5 → late"] },
        // Final with L = 5: one row, when W = 14 releases [0,10), holding the allowed-late 3.
        { "Final waits for the lateness", "tumbling 10, L=5", "1@0 1@10 1@3 1@14 1@15",
            ["1@15 → 1@0-10:2/200 r0F"] },
        // EveryUpdate, L = 2: a row per change; 5 is allowed late at W = 9; 12 makes W = 11 = 9 + 2: [0,10) final.
        { "EveryUpdate", "tumbling 10, L=2, EveryUpdate", "1@1 1@2 1@10 1@5 1@12",
            ["1@1 → 1@0-10:1/100 r0", "1@2 → 1@0-10:2/200 r1", "1@10 → 1@10-20:1/100 r0", "1@5 → 1@0-10:3/300 r2",
             "1@12 → 1@10-20:2/200 r1, 1@0-10:3/300 r3F"] },
        // Offset 3: windows [−7,3), [3,13); 13 makes W = 12, the end − 1 of [3,13).
        { "offset shifts the boundaries", "tumbling 10+3", "1@2 1@3 1@12 1@13",
            ["1@3 → 1@-7-3:1/100 r0F", "1@13 → 1@3-13:2/200 r0F"] },
        // Windows of 10 every 5: 7 is in [0,10) and [5,15); 12 makes W = 11: [−5,5) (4) and [0,10) (9) fire.
        { "sliding: every window holding the event", "sliding 10/5", "1@2 1@7 1@12 END",
            ["1@7 → 1@-5-5:1/100 r0F", "1@12 → 1@0-10:2/200 r0F", "END → 1@5-15:2/200 r0F, 1@10-20:1/100 r0F"] },
        // In-band watermarks (B = 1000, so events move W no further than −∞ … 14 − 1000): 9 fires [0,10); the regression to 5
        // is ignored, so 8 is late against W = 9.
        { "in-band watermark, regression ignored", "tumbling 10, B=1000", "1@1 W9 1@15 W5 1@8 END",
            ["W9 → 1@0-10:1/100 r0F", "1@8 → late", "END → 1@10-20:1/100 r0F"] },
        // Two sources: W = min(29, 10) = 10 holds [10,20) open; source 1 at 22 makes W = min(29, 21).
        { "two sources: the minimum", "tumbling 10, sources=2", "1@30 1:1@11 1:1@22 END",
            ["1:1@22 → 1@10-20:1/100 r0F", "END → 1@20-30:1/100 r0F, 1@30-40:1/100 r0F"] },
        // Source 1 silent: W stays −∞ until 30 s of processing time idle it; then W = 24 fires [0,10). Its event at 3
        // is then late (it does not pull W back).
        { "an idle source stops holding W back", "tumbling 10, sources=2, idle=30000", "1@1 +20000 1@25 +9999 +1 1:2@3",
            ["+1 → 1@0-10:1/100 r0F", "1:2@3 → late"] },
        // Sessions, gap 10: [0,15) and [20,30); 12 bridges them into [0,30); 41 is 11 past 30: apart; 51 is exactly one
        // gap after 41: one session [41,61) (Flink merges touching windows).
        { "sessions merge on a bridge, and at exactly one gap", "session 10, B=100", "1@0 1@5 1@20 1@12 1@41 1@51 END",
            ["END → 1@0-30:4/400 r0F, 1@41-61:2/200 r0F"] },
        // Sessions, L = 10, OnWindowClose: [0,13) fires at W = 13 (after 14); 2 joins it (revision); 25 makes W = 24:
        // [0,13) released (12 + 10 ≤ 24), [14,24) fires; 1 is then late (its own [1,11): 10 + 10 ≤ 24, nothing held).
        { "sessions: fire, revise, release, late", "session 10, L=10, OnWindowClose", "1@0 1@3 1@14 1@2 1@25 1@1",
            ["1@14 → 1@0-13:2/200 r0", "1@2 → 1@0-13:3/300 r1", "1@25 → 1@0-13:3/300 r2F, 1@14-24:1/100 r0", "1@1 → late"] },
        // End of input moves W to +∞: every open window fires, in order.
        { "end of input fires everything", "tumbling 10, B=1000", "1@1 2@15 1@27 END",
            ["END → 1@0-10:1/100 r0F, 2@10-20:1/100 r0F, 1@20-30:1/100 r0F"] },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Transcript_MatchesTheHandDerivedOne(string name, string declaration, string script, string[] expected)
    {
        var sink = new RowCollector();
        var late = new LateCollector();
        var clock = new ManualClock();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, late, Options(declaration, clock));
        var transcript = new List<string>();
        long sequence = 0;
        foreach (var step in script.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var rowsBefore = sink.Rows.Count;
            var lateBefore = late.Events.Count;
            if (step == "END") op.EndOfInput();
            else if (step[0] == '+')
            {
                clock.Advance(long.Parse(step[1..], CultureInfo.InvariantCulture));
                op.Tick();
            }
            else
            {
                var source = 0;
                var entry = step;
                if (entry.Length > 2 && entry[1] == ':')
                {
                    source = entry[0] - '0';
                    entry = entry[2..];
                }
                RingEntry<Order> e;
                if (entry[0] == 'W') e = new() { Kind = EntryKind.Watermark, SourceId = source, Value = long.Parse(entry[1..], CultureInfo.InvariantCulture) };
                else
                {
                    var at = entry.IndexOf('@');
                    e = new() { SourceId = source, Event = Order.Of(long.Parse(entry[..at], CultureInfo.InvariantCulture), long.Parse(entry[(at + 1)..], CultureInfo.InvariantCulture)) };
                }
                op.OnBatch([e], sequence++);
            }
            var emitted = sink.Lines().Skip(rowsBefore).ToArray();
            if (emitted.Length > 0) transcript.Add($"{step} → {string.Join(", ", emitted)}");
            if (late.Events.Count > lateBefore) transcript.Add($"{step} → late");
        }
        Assert.True(expected.SequenceEqual(transcript), $"{name}:\n  expected [{string.Join(" | ", expected)}]\n  got      [{string.Join(" | ", transcript)}]");
        Assert.Equal(expected.Count(l => l.EndsWith("→ late", StringComparison.Ordinal)), op.LateEvents);
    }

    private static WindowOptions Options(string declaration, IClock clock)
    {
        var parts = declaration.Split(',', StringSplitOptions.TrimEntries);
        var shape = parts[0].Split(' ');
        var window = shape[0] switch
        {
            "tumbling" => Tumbling(shape[1]),
            "sliding" => new WindowSpec { Kind = WindowKind.Sliding, SizeMs = Ms(shape[1].Split('/')[0]), SlideMs = Ms(shape[1].Split('/')[1]) },
            "session" => new WindowSpec { Kind = WindowKind.Session, GapMs = Ms(shape[1]) },
            _ => throw new ArgumentException($"unknown window '{parts[0]}'"),
        };
        long bound = 0, lateness = 0, idle = 0;
        int sources = 1;
        var emit = EmitMode.Final;
        foreach (var setting in parts.Skip(1))
        {
            if (setting.StartsWith("B=", StringComparison.Ordinal)) bound = Ms(setting[2..]);
            else if (setting.StartsWith("L=", StringComparison.Ordinal)) lateness = Ms(setting[2..]);
            else if (setting.StartsWith("idle=", StringComparison.Ordinal)) idle = Ms(setting[5..]);
            else if (setting.StartsWith("sources=", StringComparison.Ordinal)) sources = (int)Ms(setting[8..]);
            else emit = Enum.Parse<EmitMode>(setting);
        }
        return new WindowOptions
        {
            Window = window, MaxOutOfOrdernessMs = bound, AllowedLatenessMs = lateness, Emit = emit,
            Sources = sources, IdleTimeoutMs = idle, Clock = clock,
        };

        static WindowSpec Tumbling(string text)
        {
            var plus = text.IndexOf('+');
            var size = Ms(plus < 0 ? text : text[..plus]);
            return new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = size, SlideMs = size, OffsetMs = plus < 0 ? 0 : Ms(text[(plus + 1)..]) };
        }

        static long Ms(string text) => long.Parse(text, CultureInfo.InvariantCulture);
    }
}
