using Kernel.Operators;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Operators;

/// <summary>
/// A session aggregation feeding upserts (<c>ProductSessions</c> → <c>SessionTotals</c>): declared Final it
/// counts every order once; switched at run time to an emit mode whose rows revise a moving session, the
/// upstream refuses the downstream (the run-time side of KRN0028).
/// </summary>
public sealed class SessionUpstreamGuardS19Tests
{
    private const long Minute = 60_000;

    private static D.Order Order(long id, long product, long timeMs, long price = 100) =>
        new() { OrderId = id, ProductId = product, PriceCents = price, Quantity = 1, TimestampMs = timeMs };

    private sealed class Collect : IRowSink<D.ProductSessions>
    {
        public readonly List<D.ProductSessions> Rows = [];

        public void OnRow(in D.ProductSessions row, in RowRevision revision) => Rows.Add(row);
    }

    [Fact]
    public void Final_SessionsFeedUpserts_EachOrderCountedOnce()
    {
        var totals = D.SessionTotals.CreateOperator();
        var sessions = D.ProductSessions.CreateOperator(totals, null, new WindowOptions { MaxOutOfOrdernessMs = 10 * Minute });
        // Product 7: 0, 10, 5 (out of order, extends nothing), then 20 min later 25 → one session [0, 55 min).
        // Then 100 → a second session. Product 9: 3 and an unpaid order at 4 (filtered).
        sessions.Apply([Order(1, 7, 0), Order(2, 7, 10 * Minute), Order(3, 9, 3 * Minute), Order(4, 7, 5 * Minute),
            Order(5, 9, 4 * Minute, price: 0), Order(6, 7, 25 * Minute), Order(7, 7, 100 * Minute)]);
        sessions.EndOfInput();
        Assert.True(totals.TryGet(7, out var p7));
        Assert.Equal((2L, 5L), (p7.Sessions, p7.Orders));         // [0, 55 min) with 4, [100, 130 min) with 1
        Assert.True(totals.TryGet(9, out var p9));
        Assert.Equal((1L, 1L), (p9.Sessions, p9.Orders));
    }

    [Theory]
    [InlineData(EmitMode.EveryUpdate)]
    [InlineData(EmitMode.OnWindowClose)]
    [InlineData(EmitMode.Periodic)]
    public void RevisingEmitOverride_IntoUpserts_IsRefused(EmitMode emit)
    {
        var totals = D.SessionTotals.CreateOperator();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            D.ProductSessions.CreateOperator(totals, null, new WindowOptions { Emit = emit, EmitIntervalMs = 1_000 }));
        Assert.Equal("Emit", e.ParamName);
        Assert.Contains("KRN0028", e.Message);
    }

    [Fact]
    public void RevisingEmitOverride_IntoAnotherSink_IsAllowed()
    {
        // Only an upsert downstream is refused: a sink that wants revisions (a screen, a file of changes) gets them.
        var rows = new Collect();
        var sessions = D.ProductSessions.CreateOperator(rows, null, new WindowOptions { Emit = EmitMode.EveryUpdate });
        sessions.Apply([Order(1, 7, 10 * Minute), Order(2, 7, 5 * Minute)]);
        Assert.Equal([(10 * Minute, 1L), (5 * Minute, 2L)], rows.Rows.Select(r => (r.SessionStartMs, r.Orders)));
    }
}
