using System.Buffers;
using Kernel.Storage.Lsm;

namespace Kernel.Checkpoints;

/// <summary>
/// What an operator hands an incremental checkpoint at a barrier: the changed entries as LSM
/// operations (already in a <see cref="WriteBatch"/>, applied atomically off the hot path) and the
/// small metadata (watermarks, counters, the bucket list) that goes to a file. Reused: a participant
/// keeps two and clears one for each barrier, so a steady stream of checkpoints allocates nothing
/// once the buffers have grown to the dirty set.
/// </summary>
internal sealed class IncrementalCapture
{
    private readonly byte[] _prefix;
    private byte[] _key = new byte[64];

    public IncrementalCapture(byte[] prefix)
    {
        _prefix = prefix;
        prefix.CopyTo(_key, 0);
    }

    /// <summary>The LSM operations of this capture.</summary>
    public WriteBatch Batch { get; } = new(64 << 10);

    /// <summary>The operator's metadata file (format: <c>WindowedAggregator.Incremental.cs</c>).</summary>
    public ArrayBufferWriter<byte> Metadata { get; } = new(4096);

    /// <summary>The checkpoint this capture belongs to.</summary>
    public long CheckpointId { get; set; }

    /// <summary>The checkpoint whose capture this one follows (its changes are relative to it); −1 for a full capture.</summary>
    public long PreviousId { get; set; }

    /// <summary>True when the capture starts by deleting everything (it does not depend on the store's content).</summary>
    public bool Full { get; private set; }

    /// <summary>Entries put (keys written).</summary>
    public long Keys { get; private set; }

    /// <summary>Bytes of keys and values handed to the store.</summary>
    public long Bytes { get; private set; }

    /// <summary>The time the operator's thread spent capturing (with the epoch seals): the checkpoint's pause.</summary>
    public TimeSpan Pause { get; set; }

    public void Reset(long checkpointId, long previousId, bool full)
    {
        Batch.Clear();
        Metadata.ResetWrittenCount();
        CheckpointId = checkpointId;
        PreviousId = previousId;
        Full = full;
        Keys = 0;
        Bytes = 0;
        if (full)
        {
            var end = _prefix.ToArray();
            var length = IncrementalKeys.ToSuccessor(end);
            Batch.DeleteRange(_prefix, end.AsSpan(0, length));
        }
    }

    /// <summary>Sets the entry <paramref name="key"/> of bucket [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public void Put(long start, long end, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var k = Key(start, end, key);
        Batch.Put(k, value);
        Keys++;
        Bytes += k.Length + value.Length;
    }

    /// <summary>Deletes the entry <paramref name="key"/> of bucket [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public void Delete(long start, long end, ReadOnlySpan<byte> key)
    {
        var k = Key(start, end, key);
        Batch.Delete(k);
        Bytes += k.Length;
    }

    /// <summary>Deletes every entry of bucket [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public void DeleteBucket(long start, long end)
    {
        var from = Key(start, end, default);
        Span<byte> to = stackalloc byte[from.Length];
        from.CopyTo(to);
        var length = IncrementalKeys.ToSuccessor(to);
        if (length < 0) length = to.Length;   // unreachable in practice (an all-0xFF prefix and id)
        Batch.DeleteRange(from, to[..length]);
        Bytes += from.Length + length;
    }

    private ReadOnlySpan<byte> Key(long start, long end, ReadOnlySpan<byte> key)
    {
        var length = _prefix.Length + IncrementalKeys.BucketIdSize + key.Length;
        if (length > _key.Length)
        {
            var grown = new byte[length * 2];
            _prefix.CopyTo(grown, 0);
            _key = grown;
        }
        IncrementalKeys.WriteBucketId(_key.AsSpan(_prefix.Length), start, end);
        key.CopyTo(_key.AsSpan(_prefix.Length + IncrementalKeys.BucketIdSize));
        return _key.AsSpan(0, length);
    }
}
