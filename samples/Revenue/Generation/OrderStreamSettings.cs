namespace Revenue.Generation;

/// <summary>What the order generator produces; every field has a realistic default.</summary>
internal sealed record OrderStreamSettings
{
    /// <summary>Number of orders.</summary>
    public long Orders { get; init; } = 1_000_000;

    /// <summary>Number of simulated days.</summary>
    public int Days { get; init; } = 7;

    /// <summary>Seed: the same settings and seed always give the same file.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Number of products; popularity is skewed (Zipf, exponent about 1.1).</summary>
    public int Products { get; init; } = 5_000;

    /// <summary>Fraction of orders that arrive a little out of order (up to <see cref="MaxDisorderMs"/> late).</summary>
    public double OutOfOrderFraction { get; init; } = 0.05;

    /// <summary>The largest delay of an out-of-order (but not late) order.</summary>
    public long MaxDisorderMs { get; init; } = 5 * 60_000;

    /// <summary>
    /// Fraction of orders that arrive very late: 26 to 50 hours after their event time, beyond a
    /// day window plus an hour of lateness and ten minutes of out-of-orderness.
    /// </summary>
    public double LateFraction { get; init; } = 0.001;

    /// <summary>Event time of the first order (UTC midnight).</summary>
    public DateTime Start { get; init; } = new(2028, 2, 27, 0, 0, 0, DateTimeKind.Utc);
}
