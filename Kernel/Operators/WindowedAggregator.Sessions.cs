using System.Runtime.CompilerServices;
using Kernel.State;

namespace Kernel.Operators;

// Session windows. Per key, the open sessions form a list sorted by start, linked through a pooled
// node array (the key table maps a key to its first node). An event at t covers [t, t + gap); every
// session it overlaps or touches is merged into one (so an event that bridges two sessions joins them,
// and two events exactly one gap apart share a session, as Flink's TimeWindow.intersects has it). Timers
// sit in a binary min-heap ordered by watermark; a node's version invalidates its stale timers.
public sealed partial class WindowedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private readonly StateTable<TKey, int, Hasher> _heads;   // key → first node + 1
    private SessionNode[] _nodes = [];
    private int _nodeCount;          // nodes ever used (high-water mark)
    private int _freeNode = -1;      // free list through Next
    private int _sessionLive;
    private SessionTimer[] _timers = [];
    private int _timerCount;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnSessionEvent(in TEvent e, long t)
    {
        var end = AddSat(t, _gap);
        var key = TSpec.KeyOf(e);
        // Judged on the session the event ends up in, as Flink does: an event whose own [t, t + gap) is past its
        // lateness still counts when it falls inside a session of its key that is held (every held session ends after
        // W − L + 1: its release timer has not run). Inside only, where Flink would also let it extend that session
        // backwards: a start moved back could land on or before a released session's, and the start is the row's
        // identity downstream (two final rows of one key and start, one replacing the other). (An event at a held
        // session's end, which joins it too, is never late on its own: its own end − 1 + L is past the session's.)
        if (AddSat(end - 1, _lateness) <= _watermark && !InsideHeldSession(key, t))
        {
            OnLate(e, t);
            return;
        }
        ref var head = ref _heads.GetValueRefOrAdd(key, out _);
        int target = -1, insertAfter = -1, prev = -1;
        var cur = head - 1;
        while (cur >= 0)
        {
            var next = _nodes[cur].Next;
            ref var n = ref _nodes[cur];
            // Overlapping or touching ([t, t + gap) and [start, end) share a point or an end): one session.
            if (n.Start <= end && t <= n.End)
            {
                if (target < 0)
                {
                    target = cur;
                    if (t < n.Start) n.Start = t;
                    if (end > n.End) n.End = end;
                    prev = cur;
                }
                else
                {
                    // The event bridges target and this session: fold it into target.
                    ref var into = ref _nodes[target];
                    TSpec.Merge(ref into.Slot.Agg, n.Slot.Agg);
                    if (n.End > into.End) into.End = n.End;
                    if (n.Slot.Revision > into.Slot.Revision) into.Slot.Revision = n.Slot.Revision;
                    _nodes[prev].Next = next;
                    FreeNode(cur);
                }
            }
            else
            {
                if (n.Start < t && target < 0) insertAfter = cur;
                prev = cur;
            }
            cur = next;
        }
        if (target < 0)
        {
            target = AllocateNode();
            ref var fresh = ref _nodes[target];
            fresh.Key = key;
            fresh.Start = t;
            fresh.End = end;
            TSpec.Init(out fresh.Slot.Agg);
            if (insertAfter < 0)
            {
                fresh.Next = head - 1;
                head = target + 1;
            }
            else
            {
                fresh.Next = _nodes[insertAfter].Next;
                _nodes[insertAfter].Next = target;
            }
        }
        ref var node = ref _nodes[target];
        TSpec.Update(ref node.Slot.Agg, e);
        node.Slot.Changed = true;
        node.Fired = node.End - 1 <= _watermark;
        node.Version++;
        PushTimer(node.Fired ? AddSat(node.End - 1, _lateness) : node.End - 1, target, node.Version);
        if (node.Fired ? _emit is EmitMode.OnWindowClose or EmitMode.EveryUpdate : _emit == EmitMode.EveryUpdate)
            Emit(node.Key, ref node.Slot, node.Start, node.End, isFinal: false);
    }

    /// <summary>True when a session of <paramref name="key"/> still held holds time <paramref name="t"/> (start ≤ t &lt; end).</summary>
    private bool InsideHeldSession(in TKey key, long t)
    {
        ref var head = ref _heads.GetValueRefOrNullRef(key);
        if (Unsafe.IsNullRef(ref head)) return false;
        for (var cur = head - 1; cur >= 0; cur = _nodes[cur].Next)
        {
            if (_nodes[cur].Start <= t && t < _nodes[cur].End) return true;
        }
        return false;
    }

    private void RunSessionTimers()
    {
        while (_timerCount > 0 && _timers[0].At <= _watermark)
        {
            var timer = PopTimer();
            ref var node = ref _nodes[timer.Node];
            if (node.Version != timer.Version) continue;   // the session changed since: a newer timer exists
            if (!node.Fired)
            {
                node.Fired = true;
                node.Version++;
                if (_emit == EmitMode.OnWindowClose) Emit(node.Key, ref node.Slot, node.Start, node.End, isFinal: _lateness == 0);
                PushTimer(AddSat(node.End - 1, _lateness), timer.Node, node.Version);
            }
            else
            {
                if (!(_emit == EmitMode.OnWindowClose && _lateness == 0))
                    Emit(node.Key, ref node.Slot, node.Start, node.End, isFinal: true);
                ReleaseSession(timer.Node);
            }
        }
        UpdateNextTimer();
    }

    private void ReleaseSession(int index)
    {
        var key = _nodes[index].Key;
        ref var head = ref _heads.GetValueRefOrNullRef(key);
        if (head - 1 == index)
        {
            head = _nodes[index].Next + 1;
            if (head == 0) _heads.Remove(key);
        }
        else
        {
            var cur = head - 1;
            while (_nodes[cur].Next != index) cur = _nodes[cur].Next;
            _nodes[cur].Next = _nodes[index].Next;
        }
        FreeNode(index);
    }

    private void EmitChangedSessions()
    {
        for (var i = 0; i < _nodeCount; i++)
        {
            ref var node = ref _nodes[i];
            if (node.Live && node.Slot.Changed) Emit(node.Key, ref node.Slot, node.Start, node.End, isFinal: false);
        }
    }

    private long SessionNextTimer() => _timerCount == 0 ? long.MaxValue : _timers[0].At;

    private int AllocateNode()
    {
        int index;
        if (_freeNode >= 0)
        {
            index = _freeNode;
            _freeNode = _nodes[index].Next;
        }
        else
        {
            if (_nodeCount == _nodes.Length) Array.Resize(ref _nodes, Math.Max(64, _nodes.Length * 2));
            index = _nodeCount++;
        }
        var version = _nodes[index].Version;
        _nodes[index] = default;
        _nodes[index].Version = version + 1;
        _nodes[index].Live = true;
        _sessionLive++;
        return index;
    }

    private void FreeNode(int index)
    {
        ref var node = ref _nodes[index];
        node.Live = false;
        node.Version++;
        node.Next = _freeNode;
        _freeNode = index;
        _sessionLive--;
    }

    private void PushTimer(long at, int node, int version)
    {
        if (_timerCount == _timers.Length) Array.Resize(ref _timers, Math.Max(64, _timers.Length * 2));
        var i = _timerCount++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (_timers[parent].At <= at) break;
            _timers[i] = _timers[parent];
            i = parent;
        }
        _timers[i] = new SessionTimer(at, node, version);
        if (at < _nextTimerAt) _nextTimerAt = at;
    }

    private SessionTimer PopTimer()
    {
        var top = _timers[0];
        var last = _timers[--_timerCount];
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= _timerCount) break;
            if (child + 1 < _timerCount && _timers[child + 1].At < _timers[child].At) child++;
            if (last.At <= _timers[child].At) break;
            _timers[i] = _timers[child];
            i = child;
        }
        if (_timerCount > 0) _timers[i] = last;
        return top;
    }

    private struct SessionNode
    {
        public TKey Key;
        public long Start;
        public long End;
        public WindowSlot<TState> Slot;
        public int Next;
        public int Version;
        public bool Fired;
        public bool Live;
    }

    private readonly record struct SessionTimer(long At, int Node, int Version);
}
