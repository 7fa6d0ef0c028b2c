using System.Buffers;

namespace Kernel.Sinks;

/// <summary>Writes one row as one complete UTF-8 line ending with <c>\n</c>.</summary>
/// <typeparam name="TRow">The row type.</typeparam>
public delegate void RowWriter<TRow>(in TRow row, IBufferWriter<byte> output);
