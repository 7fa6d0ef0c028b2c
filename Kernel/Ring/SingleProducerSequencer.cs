using System.Runtime.CompilerServices;

namespace Kernel.Ring;

/// <summary>
/// The sequencer of a ring with one publishing thread: a claim is a plain increment of
/// producer-local state, a publish is one release write of the cursor. Not thread-safe by design.
/// </summary>
internal sealed class SingleProducerSequencer : Sequencer
{
    // Producer-thread-only state: the last claimed sequence and the slowest consumer seen last
    // time room was checked. Consumers never read these; they read Cursor (its own cache lines).
    private long _nextValue = Sequence.InitialValue;
    private long _cachedGating = Sequence.InitialValue;

    /// <summary>Creates the sequencer for a ring of <paramref name="bufferSize"/> slots.</summary>
    public SingleProducerSequencer(int bufferSize) : base(bufferSize) { }

    /// <inheritdoc/>
    public override long ClaimedCursor => Volatile.Read(ref _nextValue);

    /// <summary>Claims <paramref name="count"/> sequences (1..size), waiting for room; returns the highest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(int count)
    {
        var current = _nextValue;
        var next = current + count;
        var wrapPoint = next - _bufferSize;
        if (wrapPoint > _cachedGating)
            _cachedGating = WaitForCapacity(wrapPoint, current);
        _nextValue = next;
        return next;
    }

    /// <summary>Claims <paramref name="count"/> sequences if they fit now; never waits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNext(int count, out long highest)
    {
        var current = _nextValue;
        var next = current + count;
        var wrapPoint = next - _bufferSize;
        if (wrapPoint > _cachedGating)
        {
            _cachedGating = GetMinimumGatingSequence(current);
            if (wrapPoint > _cachedGating)
            {
                highest = 0;
                return false;
            }
        }
        _nextValue = next;
        highest = next;
        return true;
    }

    /// <summary>Publishes every claimed sequence up to <paramref name="highest"/> (release write), then wakes sleepers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long highest)
    {
        Cursor.SetValue(highest);
        Signal.Notify();
    }

    /// <summary>
    /// Gives back the unpublished claim <paramref name="lowest"/>..<paramref name="highest"/>:
    /// nothing was published, so the next claim reuses the slots and consumers never see them.
    /// </summary>
    public void Rollback(long lowest, long highest)
    {
        if (_nextValue != highest || Cursor.Value >= lowest)
            RingThrowHelper.ThrowNotLatestClaim();
        _nextValue = lowest - 1;
    }

    /// <inheritdoc/>
    public override long GetHighestPublished(long lowerBound, long availableSequence) => availableSequence;
}
