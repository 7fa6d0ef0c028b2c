using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Kernel.Checkpoints;

namespace Kernel.Operators;

// The session section of the operator snapshot (layout in WindowedAggregator.Snapshot.cs): every node
// with its key, bounds, aggregate and links, the timer heap in array order, and each key's first node.
// A restore reads the section into fresh arrays and checks every link before the operator takes them.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private int WriteSessions(Span<byte> span, int at)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], _nodeCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 4)..], _freeNode);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 8)..], _sessionLive);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 12)..], _timerCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 16)..], _heads.Count);
        at += SessionSectionHeader;
        for (var i = 0; i < _nodeCount; i++)
        {
            ref var node = ref _nodes[i];
            MemoryMarshal.Write(span[at..], in node.Key);
            at += KeySize;
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], node.Start);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], node.End);
            at += 16;
            MemoryMarshal.Write(span[at..], in node.Slot.Agg);
            at += StateSize;
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], node.Slot.Revision);
            span[at + 4] = node.Slot.Changed ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 5)..], node.Next);
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 9)..], node.Version);
            span[at + 13] = node.Fired ? (byte)1 : (byte)0;
            span[at + 14] = node.Live ? (byte)1 : (byte)0;
            at += 15;
        }
        for (var i = 0; i < _timerCount; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], _timers[i].At);
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 8)..], _timers[i].Node);
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 12)..], _timers[i].Version);
            at += 16;
        }
        foreach (ref var head in _heads)
        {
            MemoryMarshal.Write(span[at..], in head.Key);
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + KeySize)..], head.State);
            at += KeySize + 4;
        }
        return at;
    }

    /// <summary>
    /// Reads and checks the session section into fresh arrays (<see cref="SetSessions"/> takes them once
    /// the whole snapshot is checked): nodes, timers and heads must refer to nodes that exist.
    /// </summary>
    private static SessionSection ReadSessions(ReadOnlySpan<byte> snapshot, ref int at, int bodyEnd, int stateSize, StateMigration? migration)
    {
        if (at + SessionSectionHeader > bodyEnd) ThrowBadSnapshot(at, "the session section runs past the end");
        var nodes = BinaryPrimitives.ReadInt32LittleEndian(snapshot[at..]);
        var free = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 4)..]);
        var live = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 8)..]);
        var timers = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 12)..]);
        var heads = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 16)..]);
        var nodeSize = KeySize + stateSize + 31;
        if (nodes < 0 || timers < 0 || heads < 0 || live < 0 || live > nodes || free < -1 || free >= nodes
            || at + SessionSectionHeader + (long)nodes * nodeSize + (long)timers * 16 + (long)heads * (KeySize + 4) > bodyEnd)
            ThrowBadSnapshot(at, $"{nodes} nodes, {timers} timers and {heads} heads (free {free}, live {live}) do not fit the session section");
        at += SessionSectionHeader;
        var section = new SessionSection(new SessionNode[Math.Max(64, nodes)], nodes, free, live, new SessionTimer[Math.Max(64, timers)], timers, new TKey[heads], new int[heads]);
        for (var i = 0; i < nodes; i++)
        {
            ref var node = ref section.Nodes[i];
            node.Key = MemoryMarshal.Read<TKey>(snapshot[at..]);
            at += KeySize;
            node.Start = BinaryPrimitives.ReadInt64LittleEndian(snapshot[at..]);
            node.End = BinaryPrimitives.ReadInt64LittleEndian(snapshot[(at + 8)..]);
            at += 16;
            ReadAggregate(snapshot.Slice(at, stateSize), migration, out node.Slot.Agg);
            at += stateSize;
            node.Slot.Revision = BinaryPrimitives.ReadInt32LittleEndian(snapshot[at..]);
            node.Slot.Changed = snapshot[at + 4] != 0;
            node.Next = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 5)..]);
            node.Version = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 9)..]);
            node.Fired = snapshot[at + 13] != 0;
            node.Live = snapshot[at + 14] != 0;
            if (node.Next < -1 || node.Next >= nodes) ThrowBadSnapshot(at + 5, $"node {i} links to node {node.Next} of {nodes}");
            at += 15;
        }
        for (var i = 0; i < timers; i++)
        {
            var node = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 8)..]);
            if ((uint)node >= (uint)nodes) ThrowBadSnapshot(at + 8, $"timer {i} names node {node} of {nodes}");
            section.Timers[i] = new SessionTimer(BinaryPrimitives.ReadInt64LittleEndian(snapshot[at..]), node, BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + 12)..]));
            at += 16;
        }
        for (var i = 0; i < heads; i++)
        {
            var head = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(at + KeySize)..]);
            if (head < 1 || head > nodes) ThrowBadSnapshot(at + KeySize, $"session head {head} is not a node of {nodes}");
            section.HeadKeys[i] = MemoryMarshal.Read<TKey>(snapshot[at..]);
            section.Heads[i] = head;
            at += KeySize + 4;
        }
        return section;
    }

    /// <summary>Takes the sessions <see cref="ReadSessions"/> read (after <see cref="ClearSessions"/>).</summary>
    private void SetSessions(SessionSection section)
    {
        _nodes = section.Nodes;
        _nodeCount = section.NodeCount;
        _freeNode = section.Free;
        _sessionLive = section.Live;
        _timers = section.Timers;
        _timerCount = section.TimerCount;
        for (var i = 0; i < section.Heads.Length; i++) _heads.GetValueRefOrAdd(section.HeadKeys[i], out _) = section.Heads[i];
    }

    /// <summary>A snapshot's session section, read and checked, not yet the operator's.</summary>
    private sealed class SessionSection(SessionNode[] nodes, int nodeCount, int free, int live, SessionTimer[] timers, int timerCount, TKey[] headKeys, int[] heads)
    {
        public SessionNode[] Nodes { get; } = nodes;

        public int NodeCount { get; } = nodeCount;

        public int Free { get; } = free;

        public int Live { get; } = live;

        public SessionTimer[] Timers { get; } = timers;

        public int TimerCount { get; } = timerCount;

        public TKey[] HeadKeys { get; } = headKeys;

        public int[] Heads { get; } = heads;
    }

    private void ClearSessions()
    {
        _heads.Clear();
        _nodeCount = 0;
        _freeNode = -1;
        _sessionLive = 0;
        _timerCount = 0;
    }
}
