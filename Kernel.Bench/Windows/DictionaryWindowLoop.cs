using System.Runtime.InteropServices;
using Kernel.Bench.Aggregate;

namespace Kernel.Bench.Windows;

/// <summary>
/// The daily revenue query written by hand: a <see cref="Dictionary{TKey, TValue}"/> keyed by
/// (product, day) and a bounded-out-of-orderness watermark that, when it passes a day's end − 1,
/// emits and removes that day's entries. Late events are counted.
/// </summary>
public sealed class DictionaryWindowLoop
{
    private readonly Dictionary<(long Product, long Day), BenchRevenueState> _state = new(OrderData.Products * 3);
    private long _maxTime = long.MinValue;
    private long _watermark = long.MinValue;
    private long _nextClose = long.MaxValue;   // the earliest open day's end − 1

    /// <summary>Rows emitted.</summary>
    public long Rows { get; private set; }

    /// <summary>Revenue emitted (keeps the emission from being optimized away).</summary>
    public long Revenue { get; private set; }

    /// <summary>Late events.</summary>
    public long Late { get; private set; }

    /// <summary>Folds one batch.</summary>
    public void Apply(ReadOnlySpan<BenchOrder> orders)
    {
        const long day = DailyRevenue.Day;
        foreach (ref readonly var e in orders)
        {
            var t = e.TimestampMs;
            if (e.IsPaid)
            {
                var start = t - ((t % day) + day) % day;
                if (start + day - 1 <= _watermark)
                {
                    Late++;
                }
                else
                {
                    ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(_state, (e.ProductId, start), out var exists);
                    if (!exists)
                    {
                        RevenueFolding.Init(out s);
                        if (start + day - 1 < _nextClose) _nextClose = start + day - 1;
                    }
                    RevenueFolding.Update(ref s, e);
                }
            }
            if (t > _maxTime)
            {
                _maxTime = t;
                _watermark = t - DailyRevenue.MaxOutOfOrderness - 1;
                if (_watermark >= _nextClose) Fire();
            }
        }
    }

    /// <summary>End of input: everything fires.</summary>
    public void Finish()
    {
        _watermark = long.MaxValue;
        Fire();
    }

    private void Fire()
    {
        var next = long.MaxValue;
        foreach (var (key, s) in _state)
        {
            var close = key.Day + DailyRevenue.Day - 1;
            if (close <= _watermark)
            {
                var row = RevenueFolding.ToRow(key.Product, s, key.Day);
                Rows++;
                Revenue += row.RevenueCents;
                _state.Remove(key);
            }
            else if (close < next)
            {
                next = close;
            }
        }
        _nextClose = next;
    }
}
