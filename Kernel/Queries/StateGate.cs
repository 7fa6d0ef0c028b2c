using System.Runtime.CompilerServices;

namespace Kernel.Queries;

/// <summary>
/// Makes an operator's state readable from any thread without tearing: the writer (the operator's
/// thread) holds the gate around each batch it applies, and publishes the batch's end sequence
/// when it leaves; a reader holds it for the length of one query. A reader therefore sees the state
/// between two batches, exactly as of <see cref="Sequence"/>.
/// </summary>
/// <remarks>
/// Cost on the hot path: one uncontended monitor enter/exit per batch (about 20–40 ns for ~1024
/// events), nothing per event. A reader waits at most for the batch in progress. When readers are
/// waiting, the writer hands the gate over before its next batch instead of re-taking it at once, so
/// readers are not starved by a writer that is never idle. Readers serialize with one another.
/// </remarks>
public sealed class StateGate
{
    private readonly object _lock = new();
    // Readers queued for the gate. Incremented/decremented with Interlocked by readers; the writer
    // reads it with Volatile.Read before each batch to decide whether to step aside.
    private int _waiting;
    // The sequence the state is at. Written by the writer inside the gate; read inside the gate by
    // readers (the monitor orders it), or with Volatile.Read for a hint outside it.
    private long _sequence;

    /// <summary>The sequence of the state as of the last completed batch (a hint outside the gate).</summary>
    public long Sequence => Volatile.Read(ref _sequence);

    /// <summary>The writer takes the gate before applying a batch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnterWrite()
    {
        if (Volatile.Read(ref _waiting) != 0) YieldToReaders();
        Monitor.Enter(_lock);
    }

    /// <summary>The writer leaves the gate after a batch, publishing the sequence the state is now at.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ExitWrite(long sequence)
    {
        _sequence = sequence;
        Monitor.Exit(_lock);
    }

    /// <summary>A reader takes the gate; returns the sequence the state is at until <see cref="ExitRead"/>.</summary>
    public long EnterRead()
    {
        Interlocked.Increment(ref _waiting);
        Monitor.Enter(_lock);
        Interlocked.Decrement(ref _waiting);
        return _sequence;
    }

    /// <summary>A reader leaves the gate.</summary>
    public void ExitRead() => Monitor.Exit(_lock);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void YieldToReaders()
    {
        // Let the queued readers take the gate first (they decrement once inside); bounded, so a
        // reader that went away cannot stall the writer for long.
        var spin = new SpinWait();
        for (var i = 0; i < 64 && Volatile.Read(ref _waiting) != 0; i++) spin.SpinOnce(sleep1Threshold: -1);
    }
}
