using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// The headline query written by hand, one event at a time: a <see cref="Dictionary{TKey, TValue}"/>
/// keyed by (product, day start) holding the generated <see cref="DailyProductRevenue.State"/>, folded
/// with the generated <see cref="DailyProductRevenue.Spec"/> (so the fold is the operator's exactly),
/// and a per-event bounded-out-of-orderness watermark that emits and removes a day once it passes the
/// day's end. Every baseline (loop, Channels, Rx, R3) feeds this same object.
/// </summary>
public sealed class HandLoop
{
    private readonly Dictionary<(long Product, long Day), DailyProductRevenue.State> _state = new(HeadlineData.Products * 2);
    private long _maxTime = long.MinValue;
    private long _watermark = long.MinValue;
    private long _nextClose = long.MaxValue;   // the earliest open day's last millisecond

    /// <summary>Emitted rows and their revenue (what every case must agree on).</summary>
    public HeadlineTotals Totals;

    /// <summary>Folds one order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in HeadlineOrder e)
    {
        var t = e.TimestampMs;
        if (DailyProductRevenue.Spec.Filter(e))
        {
            var start = t - ((t % HeadlineData.Day) + HeadlineData.Day) % HeadlineData.Day;
            if (start + HeadlineData.Day - 1 <= _watermark)
            {
                Totals.Late++;
            }
            else
            {
                ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(_state, (DailyProductRevenue.Spec.KeyOf(e), start), out var exists);
                if (!exists)
                {
                    DailyProductRevenue.Spec.Init(out s);
                    if (start + HeadlineData.Day - 1 < _nextClose) _nextClose = start + HeadlineData.Day - 1;
                }
                DailyProductRevenue.Spec.Update(ref s, e);
            }
        }
        if (t > _maxTime)
        {
            _maxTime = t;
            _watermark = t - HeadlineData.MaxOutOfOrderness - 1;
            if (_watermark >= _nextClose) Fire();
        }
    }

    /// <summary>End of input: every open day fires.</summary>
    public void Finish()
    {
        _watermark = long.MaxValue;
        Fire();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fire()
    {
        var next = long.MaxValue;
        foreach (var (key, s) in _state)
        {
            var close = key.Day + HeadlineData.Day - 1;
            if (close <= _watermark)
            {
                DailyProductRevenue.Spec.ToRow(key.Product, s, key.Day, key.Day + HeadlineData.Day, out var row);
                Totals.Add(row);
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
