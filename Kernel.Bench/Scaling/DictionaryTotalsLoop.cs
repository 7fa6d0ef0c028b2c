using System.Runtime.InteropServices;

namespace Kernel.Bench.Scaling;

/// <summary>
/// The baseline: a <see cref="Dictionary{TKey, TValue}"/> of the generated <see cref="KeyTotals.State"/>
/// folded with the generated <see cref="KeyTotals.Spec"/>, one event at a time — the operator's work
/// exactly, written the way a .NET user would.
/// </summary>
public sealed class DictionaryTotalsLoop(int capacity)
{
    private readonly Dictionary<long, KeyTotals.State> _state = new(capacity);

    /// <summary>Distinct keys seen.</summary>
    public int Count => _state.Count;

    /// <summary>Folds a batch.</summary>
    public void Apply(ReadOnlySpan<KeyedTick> events)
    {
        foreach (ref readonly var e in events)
        {
            ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(_state, KeyTotals.Spec.KeyOf(e), out var exists);
            if (!exists) KeyTotals.Spec.Init(out s);
            KeyTotals.Spec.Update(ref s, e);
        }
    }
}
