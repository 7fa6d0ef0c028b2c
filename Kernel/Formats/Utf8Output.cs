using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Kernel.Formats;

/// <summary>
/// Appends values as UTF-8 text to an <see cref="IBufferWriter{T}"/>, invariant culture, without
/// allocating. Generated CSV and JSON-lines writers call these.
/// </summary>
public static class Utf8Output
{
    private const int NumberSpace = 64;

    /// <summary>Appends raw bytes (separators, quoted names, headers).</summary>
    /// <param name="output">The destination.</param>
    /// <param name="bytes">The bytes.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteRaw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        var span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }

    /// <summary>Appends one byte.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="value">The byte.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    /// <summary>Appends a number (integers as digits, reals in their shortest round-trip form).</summary>
    /// <typeparam name="T">A number type.</typeparam>
    /// <param name="output">The destination.</param>
    /// <param name="value">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteNumber<T>(IBufferWriter<byte> output, T value)
        where T : IUtf8SpanFormattable
    {
        var span = output.GetSpan(NumberSpace);
        if (!value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture)) ThrowTooLong();
        output.Advance(written);
    }

    /// <summary>Appends <c>true</c> or <c>false</c>.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="value">The value.</param>
    public static void WriteBoolean(IBufferWriter<byte> output, bool value) => WriteRaw(output, value ? "true"u8 : "false"u8);

    /// <summary>Appends a <see cref="DateTime"/> or <see cref="DateTimeOffset"/> in ISO-8601 round-trip form (<c>O</c>).</summary>
    /// <typeparam name="T"><see cref="DateTime"/> or <see cref="DateTimeOffset"/>.</typeparam>
    /// <param name="output">The destination.</param>
    /// <param name="value">The value.</param>
    public static void WriteTime<T>(IBufferWriter<byte> output, T value)
        where T : IUtf8SpanFormattable
    {
        var span = output.GetSpan(NumberSpace);
        if (!value.TryFormat(span, out var written, "O", CultureInfo.InvariantCulture)) ThrowTooLong();
        output.Advance(written);
    }

    /// <summary>
    /// Appends a real number as a JSON value: finite values as numbers, NaN and infinities as
    /// strings (<c>"NaN"</c>, <c>"Infinity"</c>), which JSON cannot write as numbers.
    /// </summary>
    /// <param name="output">The destination.</param>
    /// <param name="value">The value.</param>
    public static void WriteJsonReal(IBufferWriter<byte> output, double value)
    {
        if (double.IsFinite(value))
        {
            WriteNumber(output, value);
            return;
        }
        WriteByte(output, (byte)'"');
        WriteNumber(output, value);
        WriteByte(output, (byte)'"');
    }

    /// <summary>Appends a <see cref="float"/> as a JSON value (see <see cref="WriteJsonReal(IBufferWriter{byte}, double)"/>).</summary>
    /// <param name="output">The destination.</param>
    /// <param name="value">The value.</param>
    public static void WriteJsonReal(IBufferWriter<byte> output, float value)
    {
        if (float.IsFinite(value))
        {
            WriteNumber(output, value);
            return;
        }
        WriteByte(output, (byte)'"');
        WriteNumber(output, value);
        WriteByte(output, (byte)'"');
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowTooLong() => throw new InvalidOperationException("A value did not fit in 64 bytes of UTF-8 text.");
}
