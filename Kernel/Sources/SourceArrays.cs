using System.Buffers;

namespace Kernel.Sources;

/// <summary>
/// The pool the read loops rent their read blocks, batch arrays and scratch buffers from, and
/// hand them back to when a run ends. A pool of their own rather than <see cref="ArrayPool{T}.Shared"/>:
/// the shared pool keeps a returned array in a slot of the returning thread first, and a run ends
/// on a thread-pool thread while the next one starts on its caller's, so about every other run
/// found nothing and allocated its buffers again (0.15 B per record of <c>ingest-csv</c>).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal static class SourceArrays<T>
{
    /// <summary>
    /// Arrays up to 4 Mi elements, four of each size: what a few concurrent loops use, held for
    /// the process's life (a longer array is allocated and dropped).
    /// </summary>
    public static readonly ArrayPool<T> Pool = ArrayPool<T>.Create(maxArrayLength: 4 << 20, maxArraysPerBucket: 4);
}
