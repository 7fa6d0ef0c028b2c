using System.Runtime.InteropServices;

namespace Kernel.State;

/// <summary>
/// One slot of a <see cref="StateTable{TKey, TState, THasher}"/>: the key and its state stored inline,
/// side by side, so a hit touches one cache line for both.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TState">The unmanaged state type.</typeparam>
[StructLayout(LayoutKind.Sequential)]
public struct StateEntry<TKey, TState>
    where TKey : unmanaged
    where TState : unmanaged
{
    /// <summary>The key.</summary>
    public TKey Key;

    /// <summary>The state held for <see cref="Key"/>.</summary>
    public TState State;
}
