using System.Runtime.InteropServices;

namespace Kernel.Operators;

/// <summary>The state of one (key, window): the aggregate plus what has been emitted of it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WindowSlot<TState>
    where TState : unmanaged
{
    /// <summary>The running aggregate.</summary>
    public TState Agg;

    /// <summary>How many rows have been emitted for this (key, window): the next row's revision.</summary>
    public int Revision;

    /// <summary>True when the aggregate changed since its last emitted row (periodic emission).</summary>
    public bool Changed;
}
