using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.State;
using Kernel.Storage.Common;

namespace Kernel.Operators;

// The operator as a checkpoint participant's ISnapshotOperator: its complete state in the "KKAG"
// format (KeyedSnapshotFormat.cs) — the table's entries with the watermark and events seen, so a
// restored operator reports what the uninterrupted one does. Written from memory: spilled keys are
// loaded back first. The public WriteSnapshot(output, scope) / Restore keep the table's own "KSTB"
// format (full or changes only) as before.
public sealed partial class KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> : ISnapshotOperator
{
    private static int KeySize => Unsafe.SizeOf<TKey>();

    private static int StateSize => Unsafe.SizeOf<TState>();

    /// <inheritdoc />
    string ISnapshotOperator.AggregationName => TSpec.Name;

    /// <inheritdoc />
    ulong ISnapshotOperator.StateFingerprint => TSpec.StateFingerprint;

    /// <inheritdoc />
    long ISnapshotOperator.StateEntries => _table.Count;   // in memory, as the windowed operator counts (SpilledEntries: the rest)

    /// <inheritdoc />
    int ISnapshotOperator.WriteSnapshot(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        UnspillAll();   // [spill] a full snapshot is written from memory
        var count = _table.Count;
        var total = KeyedSnapshotFormat.HeaderSize + count * (KeySize + StateSize) + 4;
        var span = output.GetSpan(total)[..total];
        KeyedSnapshotFormat.WriteHeader(span, KeyedSnapshotFormat.SnapshotMagic, TSpec.StateFingerprint, _watermark, _eventsSeen, KeySize, StateSize, count);
        var at = KeyedSnapshotFormat.HeaderSize;
        foreach (ref var entry in _table)
        {
            MemoryMarshal.Write(span[at..], in entry.Key);
            MemoryMarshal.Write(span[(at + KeySize)..], in entry.State);
            at += KeySize + StateSize;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32C.Compute(span[..at]));
        output.Advance(total);
        if (TSpec.HasSideState) total += SideStateSnapshot.Write(output, _side!, total);   // [side-state]
        return total;
    }

    /// <inheritdoc />
    void ISnapshotOperator.RestoreSnapshot(ReadOnlySpan<byte> snapshot)
    {
        ReadOnlySpan<byte> side = default;
        if (TSpec.HasSideState) snapshot = SideStateSnapshot.Split(snapshot, TSpec.Name, out side);   // [side-state]
        var what = $"aggregation '{TSpec.Name}' snapshot";
        var count = KeyedSnapshotFormat.CheckHeader(snapshot, KeyedSnapshotFormat.SnapshotMagic, TSpec.Name, what, TSpec.StateFingerprint, KeySize, StateSize, withEntries: true);
        // [side-state] after the header: a snapshot of other sketch settings fails its fingerprint check, not a sketch pool
        if (TSpec.HasSideState) SideStateSnapshot.Check(side, TSpec.CreateSideState()!);
        CheckNoKeyTwice(snapshot, count, what);

        // Everything is checked: from here on nothing fails on the bytes, so a rejected snapshot changed nothing.
        if (TSpec.HasSideState) _side!.RestoreSnapshot(side);   // [side-state]
        _table.Clear();
        _spilled = 0;   // [spill] replaced whole: the next capture rewrites the store (the table was cleared)
        var at = KeyedSnapshotFormat.HeaderSize;
        for (var i = 0; i < count; i++, at += KeySize + StateSize)
            _table.GetValueRefOrAdd(MemoryMarshal.Read<TKey>(snapshot[at..]), out _) = MemoryMarshal.Read<TState>(snapshot[(at + KeySize)..]);
        _table.MarkClean();
        _watermark = BinaryPrimitives.ReadInt64LittleEndian(snapshot[16..]);
        _eventsSeen = BinaryPrimitives.ReadInt64LittleEndian(snapshot[24..]);
    }

    /// <summary>
    /// Refuses entries that hold a key twice, before the restore changes anything: the keys go into a
    /// scratch set hashed and compared as the table does.
    /// </summary>
    private static void CheckNoKeyTwice(ReadOnlySpan<byte> snapshot, int count, string what)
    {
        var seen = new StateTable<TKey, byte, StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>>(TSpec.Name, TSpec.StateFingerprint, Math.Min(count, 1 << 20), trackRemovals: false);
        var at = KeyedSnapshotFormat.HeaderSize;
        for (var i = 0; i < count; i++, at += KeySize + StateSize)
        {
            seen.GetValueRefOrAdd(MemoryMarshal.Read<TKey>(snapshot[at..]), out var added);
            if (!added) KeyedSnapshotFormat.Bad(what, at, "holds a key twice");
        }
    }
}
