namespace Kernel.Storage.Lsm.Format;

/// <summary>What an internal entry says about its user key. Stored in the low byte of the trailer.</summary>
internal enum EntryKind : byte
{
    /// <summary>A point tombstone: the key has no value from this sequence on.</summary>
    Delete = 0,

    /// <summary>A value.</summary>
    Value = 1,
}
