using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Kernel.Storage.Common;

namespace Kernel.State;

// State snapshot format, version 1 (little-endian):
//
//  offset  size  field
//  +0      4     magic "KSTB"
//  +4      2     version (1)
//  +6      1     scope: 0 = Full, 1 = Changes
//  +7      1     flags: bit 0 = cleared (a Changes snapshot that starts from an empty table)
//  +8      8     state fingerprint of the writer
//  +16     4     key size in bytes   (K)
//  +20     4     state size in bytes (S)
//  +24     4     entry count         (N)
//  +28     4     removed-key count   (R)
//  +32     2     aggregation name length in UTF-8 bytes (L)
//  +34     L     aggregation name (UTF-8)
//  ...     N×(K+S)  entries: key bytes then state bytes, raw unmanaged layout
//  ...     R×K      removed keys (Changes only)
//  end−4   4     CRC-32C of every byte before it
//
// Restore order for Changes: clear when flagged, remove the removed keys, then upsert the entries.
public sealed partial class StateTable<TKey, TState, THasher>
{
    private const uint Magic = 0x4254534B; // "KSTB"
    private const ushort FormatVersion = 1;
    private const int FixedHeaderSize = 34;

    /// <summary>
    /// Writes the table (or what changed since the last snapshot) to <paramref name="output"/> and
    /// then marks the table clean, so the next <see cref="SnapshotScope.Changes"/> snapshot starts here.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    public int WriteSnapshot(IBufferWriter<byte> output, SnapshotScope scope)
    {
        ArgumentNullException.ThrowIfNull(output);
        var changes = scope == SnapshotScope.Changes;
        var keySize = Unsafe.SizeOf<TKey>();
        var stateSize = Unsafe.SizeOf<TState>();
        var entryCount = changes ? ChangedCount : _count;
        var removedCount = changes ? _removedCount : 0;
        var nameLength = Encoding.UTF8.GetByteCount(_name);
        var total = FixedHeaderSize + nameLength + entryCount * (keySize + stateSize) + removedCount * keySize + 4;

        var span = output.GetSpan(total)[..total];
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], FormatVersion);
        span[6] = (byte)scope;
        span[7] = (byte)(changes && _clearedSinceSnapshot ? 1 : 0);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], _fingerprint);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], keySize);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], stateSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], entryCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], removedCount);
        BinaryPrimitives.WriteUInt16LittleEndian(span[32..], (ushort)nameLength);
        var at = FixedHeaderSize + Encoding.UTF8.GetBytes(_name, span[FixedHeaderSize..]);

        foreach (ref var entry in changes ? ChangedEntries : GetEnumerator())
        {
            MemoryMarshal.Write(span[at..], in entry.Key);
            at += keySize;
            MemoryMarshal.Write(span[at..], in entry.State);
            at += stateSize;
        }
        for (var i = 0; i < removedCount; i++)
        {
            MemoryMarshal.Write(span[at..], in _removed[i]);
            at += keySize;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32C.Compute(span[..at]));
        output.Advance(total);
        MarkClean();
        return total;
    }

    /// <summary>
    /// Restores a snapshot: a <see cref="SnapshotScope.Full"/> one replaces the table, a
    /// <see cref="SnapshotScope.Changes"/> one is applied on top of it. The table is clean afterwards.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The bytes are not a snapshot, are damaged, or were written under another state fingerprint
    /// (the message names the aggregation, both fingerprints and the offending offset).
    /// </exception>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        var (at, entryCount, removedCount) = CheckSnapshot(snapshot, _name, _fingerprint);
        // Checked whole before the first change: a rejected snapshot leaves the table as it was.
        var keySize = Unsafe.SizeOf<TKey>();
        var stateSize = Unsafe.SizeOf<TState>();
        if (snapshot[6] == (byte)SnapshotScope.Full || (snapshot[7] & 1) != 0) Clear();
        var removedAt = at + entryCount * (keySize + stateSize);
        for (var i = 0; i < removedCount; i++)
            Remove(MemoryMarshal.Read<TKey>(snapshot[(removedAt + i * keySize)..]));
        for (var i = 0; i < entryCount; i++)
        {
            var key = MemoryMarshal.Read<TKey>(snapshot[at..]);
            at += keySize;
            GetValueRefOrAdd(key, out _) = MemoryMarshal.Read<TState>(snapshot[at..]);
            at += stateSize;
        }
        MarkClean();
    }

    /// <summary>
    /// Checks <paramref name="snapshot"/> as <see cref="Restore"/> does (magic, version, scope, CRC,
    /// fingerprint, sizes and lengths) without changing any table: an operator whose snapshot holds
    /// several parts checks them all before it restores the first.
    /// </summary>
    /// <param name="snapshot">The bytes <see cref="WriteSnapshot"/> wrote.</param>
    /// <param name="name">The aggregation the restoring table belongs to (named in the error).</param>
    /// <param name="expectedFingerprint">The restoring table's state fingerprint.</param>
    /// <returns>Where the entries start, and the entry and removed-key counts.</returns>
    /// <exception cref="InvalidDataException">As <see cref="Restore"/> throws it.</exception>
    internal static (int EntriesAt, int Entries, int Removed) CheckSnapshot(ReadOnlySpan<byte> snapshot, string name, ulong expectedFingerprint)
    {
        var keySize = Unsafe.SizeOf<TKey>();
        var stateSize = Unsafe.SizeOf<TState>();
        if (snapshot.Length < FixedHeaderSize + 4)
            StateThrowHelper.ThrowInvalidSnapshot(name, 0, $"{snapshot.Length} bytes is shorter than the {FixedHeaderSize + 4}-byte minimum");
        if (BinaryPrimitives.ReadUInt32LittleEndian(snapshot) != Magic)
            StateThrowHelper.ThrowInvalidSnapshot(name, 0, "magic is not \"KSTB\"");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(snapshot[4..]);
        if (version != FormatVersion)
            StateThrowHelper.ThrowInvalidSnapshot(name, 4, $"version {version} is not supported (expected {FormatVersion})");
        var scope = snapshot[6];
        if (scope > 1) StateThrowHelper.ThrowInvalidSnapshot(name, 6, $"scope {scope} is neither Full (0) nor Changes (1)");
        var bodyEnd = snapshot.Length - 4;
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(snapshot[bodyEnd..]);
        if (crc != Crc32C.Compute(snapshot[..bodyEnd]))
            StateThrowHelper.ThrowInvalidSnapshot(name, bodyEnd, "CRC-32C does not match the content");
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(snapshot[32..]);
        if (FixedHeaderSize + nameLength > bodyEnd)
            StateThrowHelper.ThrowInvalidSnapshot(name, 32, $"name length {nameLength} runs past the end");
        var writtenBy = Encoding.UTF8.GetString(snapshot.Slice(FixedHeaderSize, nameLength));
        var fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(snapshot[8..]);
        if (fingerprint != expectedFingerprint)
            StateThrowHelper.ThrowFingerprintMismatch(name, writtenBy, expectedFingerprint, fingerprint);
        if (BinaryPrimitives.ReadInt32LittleEndian(snapshot[16..]) != keySize)
            StateThrowHelper.ThrowInvalidSnapshot(name, 16, $"key size {BinaryPrimitives.ReadInt32LittleEndian(snapshot[16..])} differs from {keySize}");
        if (BinaryPrimitives.ReadInt32LittleEndian(snapshot[20..]) != stateSize)
            StateThrowHelper.ThrowInvalidSnapshot(name, 20, $"state size {BinaryPrimitives.ReadInt32LittleEndian(snapshot[20..])} differs from {stateSize}");
        var entryCount = BinaryPrimitives.ReadInt32LittleEndian(snapshot[24..]);
        var removedCount = BinaryPrimitives.ReadInt32LittleEndian(snapshot[28..]);
        var at = FixedHeaderSize + nameLength;
        if (entryCount < 0 || removedCount < 0 ||
            (long)at + (long)entryCount * (keySize + stateSize) + (long)removedCount * keySize != bodyEnd)
            StateThrowHelper.ThrowInvalidSnapshot(name, 24, $"{entryCount} entries and {removedCount} removed keys do not fill the {bodyEnd - at} bytes of body");
        return (at, entryCount, removedCount);
    }
}
