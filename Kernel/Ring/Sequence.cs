using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Ring;

/// <summary>
/// A ring sequence (a cursor or a consumer's progress) padded so that it owns its cache lines:
/// 56 bytes of padding on each side of the 8-byte value, so no other hot field (another
/// consumer's sequence, a producer's local state) shares a 64-byte line with it and every write
/// here invalidates only readers of this value.
/// </summary>
/// <remarks>
/// Memory ordering: <see cref="Value"/> is an acquire read and <see cref="SetValue"/> a release
/// write, so a reader that sees sequence <c>s</c> also sees every slot written before <c>s</c>
/// was published. <see cref="CompareAndSet"/> and <see cref="AddAndGet"/> are full fences.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = PaddedSize)]
internal sealed class Sequence
{
    /// <summary>The initial value: nothing published or consumed yet.</summary>
    public const long InitialValue = -1;

    /// <summary>Byte offset of the value inside the object's fields (after 56 bytes of padding).</summary>
    public const int ValueOffset = 56;

    /// <summary>Size of the object's fields: padding, value, padding.</summary>
    public const int PaddedSize = ValueOffset + sizeof(long) + 56;

    // Written with release semantics (SetValue) or interlocked; read with acquire semantics.
    [FieldOffset(ValueOffset)]
    private long _value;

    // The runtime ignores StructLayout.Size for classes: this last field makes the trailing pad real.
#pragma warning disable CS0169, IDE0051 // never read or written: it only reserves space
    [FieldOffset(PaddedSize - sizeof(long))]
    private readonly long _trailingPad;
#pragma warning restore CS0169, IDE0051

    /// <summary>Creates a sequence at <paramref name="initialValue"/>.</summary>
    public Sequence(long initialValue = InitialValue) => _value = initialValue;

    /// <summary>The current value (acquire read).</summary>
    public long Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _value);
    }

    /// <summary>Stores a value with release semantics: earlier writes (the slots) become visible first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetValue(long value) => Volatile.Write(ref _value, value);

    /// <summary>Atomically sets the value to <paramref name="next"/> when it is <paramref name="expected"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CompareAndSet(long expected, long next) =>
        Interlocked.CompareExchange(ref _value, next, expected) == expected;

    /// <summary>Atomically adds <paramref name="increment"/> and returns the new value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long AddAndGet(long increment) => Interlocked.Add(ref _value, increment);

    /// <summary>A reference to the value field, for the layout test only.</summary>
    internal ref long ValueRef => ref _value;

    /// <inheritdoc/>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
