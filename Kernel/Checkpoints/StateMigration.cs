namespace Kernel.Checkpoints;

/// <summary>
/// How aggregates written under one <see cref="StateLayout"/> become aggregates of another: built
/// by <see cref="Plan"/>, which refuses incompatible changes. Compatible changes: a state field
/// added (it starts at the aggregate's identity, what <c>Init</c> gives: 0 for sums and counts),
/// removed (dropped), or moved (copied by name). Incompatible: any change to the key (fields,
/// types, order), a field whose type or aggregate kind changed (<c>Sum</c> to <c>Max</c>), among them an
/// average's sum written as a <c>double</c> and now kept as an exact <c>long</c>. An average carried over
/// keeps its count: when the count it divides by is new in this build (a <c>[Count]</c> added or
/// removed), that field starts from the written count rather than 0.
/// </summary>
public sealed class StateMigration
{
    private readonly (int From, int To, int Size)[] _copies;
    private readonly byte[] _initial;

    private StateMigration(StateLayout from, StateLayout to, (int From, int To, int Size)[] copies, IReadOnlyList<string> added, IReadOnlyList<string> dropped)
    {
        Aggregation = to.Aggregation;
        FromFingerprint = from.Fingerprint;
        ToFingerprint = to.Fingerprint;
        FromStateSize = from.StateSize;
        ToStateSize = to.StateSize;
        _copies = copies;
        _initial = to.InitialState;
        Added = added;
        Dropped = dropped;
    }

    /// <summary>The aggregation migrated.</summary>
    public string Aggregation { get; }

    /// <summary>The fingerprint the state was written under.</summary>
    public ulong FromFingerprint { get; }

    /// <summary>The fingerprint of this build's layout.</summary>
    public ulong ToFingerprint { get; }

    /// <summary>The size of a written aggregate.</summary>
    public int FromStateSize { get; }

    /// <summary>The size of this build's aggregate.</summary>
    public int ToStateSize { get; }

    /// <summary>State fields this build has and the written state has not (they start at their identity).</summary>
    public IReadOnlyList<string> Added { get; }

    /// <summary>State fields the written state has and this build has not (their values are dropped).</summary>
    public IReadOnlyList<string> Dropped { get; }

    /// <summary>True when nothing but field positions changed (or nothing at all).</summary>
    public bool IsIdentity => Added.Count == 0 && Dropped.Count == 0 && FromStateSize == ToStateSize && _copies.All(c => c.From == c.To);

    /// <summary>
    /// Compares two layouts of the same aggregation and plans the migration.
    /// </summary>
    /// <exception cref="InvalidDataException">The change is incompatible; the message names the aggregation and the field.</exception>
    public static StateMigration Plan(StateLayout from, StateLayout to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var name = to.Aggregation;
        if (!string.Equals(from.Aggregation, to.Aggregation, StringComparison.Ordinal))
            Incompatible(name, $"the savepoint holds aggregation '{from.Aggregation}', not '{to.Aggregation}'");
        var keys = Math.Max(from.KeyFields.Count, to.KeyFields.Count);
        for (var i = 0; i < keys; i++)
        {
            var was = i < from.KeyFields.Count ? from.KeyFields[i] : default;
            var now = i < to.KeyFields.Count ? to.KeyFields[i] : default;
            if (was.Name is null)
                Incompatible(name, $"key field '{now.Name}' ({now.TypeName}) was added to the key; a savepoint keyed differently cannot be restored");
            if (now.Name is null)
                Incompatible(name, $"key field '{was.Name}' ({was.TypeName}) was removed from the key; a savepoint keyed differently cannot be restored");
            if (!string.Equals(was.Name, now.Name, StringComparison.Ordinal))
                Incompatible(name, $"key field {i} was '{was.Name}' and is now '{now.Name}'; the key's fields or their order changed");
            if (!string.Equals(was.TypeName, now.TypeName, StringComparison.Ordinal) || was.Size != now.Size)
                Incompatible(name, $"key field '{now.Name}' changed type from {was.TypeName} to {now.TypeName}");
        }
        if (from.KeySize != to.KeySize)
            Incompatible(name, $"the key's size changed from {from.KeySize} to {to.KeySize} bytes");

        var copies = new List<(int, int, int)>();
        var added = new List<string>();
        foreach (var now in to.StateFields)
        {
            var index = IndexOf(from.StateFields, now.Name);
            if (index < 0)
            {
                added.Add(now.Name);
                continue;
            }
            var was = from.StateFields[index];
            if (was.Kind != now.Kind)
                Incompatible(name, $"state field '{now.Name}' changed from {was.Kind} to {now.Kind}; its running value cannot be converted");
            if (now.Kind == AggregateKind.AvgSum && !string.Equals(was.TypeName, now.TypeName, StringComparison.Ordinal))
                Incompatible(name, $"the running sum of average '{now.Name}' changed type from {was.TypeName} to {now.TypeName} (an [Avg] over an integer member is summed exactly in a long since this build); the written sum cannot be carried over exactly, so restore it with the build that wrote it or start this aggregation afresh");
            if (!string.Equals(was.TypeName, now.TypeName, StringComparison.Ordinal) || was.Size != now.Size)
                Incompatible(name, $"state field '{now.Name}' changed type from {was.TypeName} to {now.TypeName}");
            if (was.Offset < 0 || was.Offset + was.Size > from.StateSize || now.Offset < 0 || now.Offset + now.Size > to.StateSize)
                Incompatible(name, $"state field '{now.Name}' lies outside its state ({was.Offset}+{was.Size} of {from.StateSize}, {now.Offset}+{now.Size} of {to.StateSize})");
            copies.Add((was.Offset, now.Offset, now.Size));
        }
        CarryAverageCounts(name, from, to, copies, added);
        var dropped = from.StateFields.Where(f => IndexOf(to.StateFields, f.Name) < 0).Select(f => f.Name).ToArray();
        if (to.InitialState.Length != to.StateSize)
            Incompatible(name, $"the initial state has {to.InitialState.Length} bytes, the state {to.StateSize}");
        return new StateMigration(from, to, [.. copies], added, dropped);
    }

    /// <summary>Writes the migrated form of <paramref name="from"/> (an aggregate of the old layout) into <paramref name="to"/>.</summary>
    public void Migrate(ReadOnlySpan<byte> from, Span<byte> to)
    {
        _initial.CopyTo(to);
        foreach (var (f, t, size) in _copies) from.Slice(f, size).CopyTo(to.Slice(t, size));
    }

    /// <summary>
    /// An average's sum is only meaningful with the count it is divided by: its own <c>X_Count</c>
    /// (<see cref="AggregateKind.AvgCount"/>), or the declaration's <c>[Count]</c> when the generator
    /// shares it. When a carried sum's count is a field new to this build (the declaration gained or
    /// lost its <c>[Count]</c>), that field takes the written state's count for the average instead of
    /// starting at 0; both count the same filtered events.
    /// </summary>
    private static void CarryAverageCounts(string name, StateLayout from, StateLayout to, List<(int, int, int)> copies, List<string> added)
    {
        foreach (var sum in to.StateFields)
        {
            if (sum.Kind != AggregateKind.AvgSum || IndexOf(from.StateFields, sum.Name) < 0) continue;
            var now = AverageCount(to, sum);
            var was = AverageCount(from, sum);
            if (now is not { } n || was is not { } w)
            {
                Incompatible(name, $"average '{sum.Name}' has no count to divide by in the {(now is null ? "current" : "written")} layout");
                return;
            }
            if (!added.Contains(n.Name)) continue;
            if (w.Size != n.Size)
                Incompatible(name, $"the count of average '{sum.Name}' was {w.Name} ({w.TypeName}) and is now {n.Name} ({n.TypeName})");
            copies.Add((w.Offset, n.Offset, n.Size));
            added.Remove(n.Name);
        }
    }

    /// <summary>The count an average's sum field (<c>X_Sum</c>) divides by: <c>X_Count</c>, else the layout's <see cref="AggregateKind.Count"/> field.</summary>
    private static StateLayoutField? AverageCount(StateLayout layout, StateLayoutField sum)
    {
        var own = sum.Name.EndsWith("_Sum", StringComparison.Ordinal) ? IndexOf(layout.StateFields, sum.Name[..^4] + "_Count") : -1;
        if (own >= 0 && layout.StateFields[own].Kind == AggregateKind.AvgCount) return layout.StateFields[own];
        foreach (var f in layout.StateFields)
        {
            if (f.Kind == AggregateKind.Count) return f;
        }
        return null;
    }

    private static int IndexOf(IReadOnlyList<StateLayoutField> fields, string name)
    {
        for (var i = 0; i < fields.Count; i++)
            if (string.Equals(fields[i].Name, name, StringComparison.Ordinal)) return i;
        return -1;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Incompatible(string aggregation, string reason) =>
        throw new InvalidDataException($"savepoint: aggregation '{aggregation}' cannot be migrated: {reason}");
}
