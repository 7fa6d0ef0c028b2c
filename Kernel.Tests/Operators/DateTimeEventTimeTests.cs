using Kernel.Queries;
using Kernel.Runtime;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Runtime;

namespace Kernel.Tests.Operators;

/// <summary>
/// A <c>DateTime</c> or <c>DateTimeOffset</c> <c>[EventTime]</c> run through the kernel into a tumbling window:
/// docs/event-time.md (and docs/generator.md) say a <c>DateTime</c>'s clock reading is taken as UTC whatever its
/// <c>Kind</c>, and a <c>DateTimeOffset</c> counts by its instant.
/// </summary>
public sealed class DateTimeEventTimeTests
{
    // Worked by hand: 1970-01-01 to 2028-01-01 is 58 × 365 + 14 leap days (1972 … 2024) = 21,184 days; January and
    // February's first 28 days add 59, so 2028-02-29T00:00Z is day 21,243 = 1,835,395,200,000 ms.
    private const long Feb29 = 1_835_395_200_000;
    private const long HourMs = 3_600_000;

    [Fact]
    public async Task DateTimeEventTime_UtcAndUnspecifiedKinds_LandInTheirUtcHours()
    {
        // In event-time order (no out-of-orderness is declared, so an older event would be late).
        Visit[] visits =
        [
            new() { Id = 1, At = new DateTime(2028, 2, 29, 10, 15, 0, DateTimeKind.Utc) },
            new() { Id = 2, At = new DateTime(2028, 2, 29, 10, 59, 59, 999, DateTimeKind.Unspecified) },
            new() { Id = 4, At = new DateTime(2028, 2, 29, 11, 0, 0, DateTimeKind.Unspecified) },
            new() { Id = 8, At = new DateTime(2028, 2, 29, 11, 30, 0, DateTimeKind.Utc) },
            new() { Id = 16, At = new DateTime(2028, 2, 29, 13, 0, 0, DateTimeKind.Utc) },
        ];
        var rows = new FinalRows<HourlyVisits>();
        await using (var kernel = new StreamKernel<Visit>(new StreamKernelOptions { RingSize = 16 }))
        {
            kernel.AddHandler("hourly", HourlyVisits.CreateOperator(rows));
            kernel.Start();
            await kernel.PublishAsync(visits);
            await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        }

        // 10:00 holds ids 1 and 2 (the last millisecond of the hour), 11:00 ids 4 (its first) and 8; 12:00 is empty; 13:00 holds 16.
        Assert.Equal(
            [(Feb29 + 10 * HourMs, 2L, 3L), (Feb29 + 11 * HourMs, 2L, 12L), (Feb29 + 13 * HourMs, 1L, 16L)],
            rows.Snapshot().ToArray().Select(r => (r.HourStartMs, r.Visits, r.IdSum)).OrderBy(r => r.HourStartMs));
    }

    [Fact]
    public async Task DateTimeOffsetEventTime_NonZeroOffsets_LandInTheHourOfTheirInstant()
    {
        Call[] calls =
        [
            new() { Id = 1, At = new DateTimeOffset(2028, 2, 29, 12, 30, 0, TimeSpan.FromHours(2)) },                       // 10:30Z
            new() { Id = 2, At = new DateTimeOffset(2028, 2, 29, 5, 45, 0, TimeSpan.FromHours(-5)) },                       // 10:45Z
            new() { Id = 4, At = new DateTimeOffset(2028, 2, 29, 16, 29, 59, 999, new TimeSpan(5, 30, 0)) },               // 10:59:59.999Z
            new() { Id = 8, At = new DateTimeOffset(2028, 3, 1, 0, 10, 0, TimeSpan.FromHours(13)) },                        // 29 Feb 11:10Z
        ];
        var rows = new FinalRows<HourlyCalls>();
        await using (var kernel = new StreamKernel<Call>(new StreamKernelOptions { RingSize = 16 }))
        {
            kernel.AddHandler("hourly", HourlyCalls.CreateOperator(rows));
            kernel.Start();
            await kernel.PublishAsync(calls);
            await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        }

        // By the clock readings the calls would fall in 12:00, 05:00, 16:00 and 1 March 00:00; by their instants, in two UTC hours.
        Assert.Equal(
            [(Feb29 + 10 * HourMs, 3L, 7L), (Feb29 + 11 * HourMs, 1L, 8L)],
            rows.Snapshot().ToArray().Select(r => (r.HourStartMs, r.Calls, r.IdSum)).OrderBy(r => r.HourStartMs));
    }
}
