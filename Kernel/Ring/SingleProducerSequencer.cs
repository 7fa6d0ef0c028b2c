using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Ring;

/// <summary>
/// The sequencer of a ring with one publishing thread: a claim is a plain increment of
/// producer-local state, a publish is one release write of the cursor. Not thread-safe by design.
/// </summary>
internal sealed class SingleProducerSequencer : Sequencer
{
    // Producer-thread-only state, written on every claim, padded away from the base class's
    // fields (which processors read) so those writes invalidate no line a processor reads.
    private ProducerState _producer;

    /// <summary>Creates the sequencer for a ring of <paramref name="bufferSize"/> slots.</summary>
    public SingleProducerSequencer(int bufferSize) : base(bufferSize)
    {
        _producer.NextValue = Sequence.InitialValue;
        // Nothing consumed yet (gating -1): the first lap may be claimed without looking.
        _producer.ClaimLimit = Sequence.InitialValue + bufferSize;
    }

    /// <inheritdoc/>
    public override long ClaimedCursor => Volatile.Read(ref _producer.NextValue);

    /// <summary>Claims <paramref name="count"/> sequences (1..size), waiting for room; returns the highest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(int count)
    {
        var current = _producer.NextValue;
        var next = current + count;
        if (next > _producer.ClaimLimit)
            _producer.ClaimLimit = WaitForCapacity(next - _bufferSize, current) + _bufferSize;
        _producer.NextValue = next;
        return next;
    }

    /// <summary>
    /// Claims the next sequence when it lies within the limit known from the last look at the
    /// consumers (almost always); false, claiming nothing, when the caller must call <see cref="Next"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNextWithinLimit(out long sequence)
    {
        var next = _producer.NextValue + 1;
        sequence = next;
        if (next > _producer.ClaimLimit)
            return false;
        _producer.NextValue = next;
        return true;
    }

    /// <summary>Claims <paramref name="count"/> sequences if they fit now; never waits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNext(int count, out long highest)
    {
        var current = _producer.NextValue;
        var next = current + count;
        if (next > _producer.ClaimLimit)
        {
            _producer.ClaimLimit = GetMinimumGatingSequence(current) + _bufferSize;
            if (next > _producer.ClaimLimit)
            {
                highest = 0;
                return false;
            }
        }
        _producer.NextValue = next;
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

    /// <summary>True when <paramref name="sequence"/> was published (the cursor is the last published sequence).</summary>
    internal bool IsPublished(long sequence) => Cursor.Value >= sequence;

    /// <summary>
    /// Gives back the unpublished claim <paramref name="lowest"/>..<paramref name="highest"/>:
    /// nothing was published, so the next claim reuses the slots and consumers never see them.
    /// </summary>
    public void Rollback(long lowest, long highest)
    {
        if (_producer.NextValue != highest || Cursor.Value >= lowest)
            RingThrowHelper.ThrowNotLatestClaim();
        _producer.NextValue = lowest - 1;
    }

    /// <inheritdoc/>
    public override long GetHighestPublished(long lowerBound, long availableSequence) => availableSequence;

    /// <summary>
    /// The last claimed sequence, and the highest sequence that may be claimed without looking at
    /// the consumers again (the slowest consumer seen when room was last checked, plus the ring
    /// size: one compare per claim), with a cache line of padding on each side.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct ProducerState
    {
        [FieldOffset(56)]
        public long NextValue;

        [FieldOffset(64)]
        public long ClaimLimit;
    }
}
