namespace Kernel;

/// <summary>
/// The key and state layout of one aggregation as data, emitted by the generator next to its
/// <c>Spec</c>: what a savepoint records so that state written by an older build can be
/// recognised and migrated field by field.
/// </summary>
public sealed class StateSchema
{
    /// <summary>Creates a schema; called by generated code.</summary>
    /// <param name="aggregation">The aggregation's full type name.</param>
    /// <param name="fingerprint">The 64-bit fingerprint of the layouts (see <see cref="Fingerprint"/>).</param>
    /// <param name="keyFields">The key components, in order; empty for a global aggregation.</param>
    /// <param name="stateFields">The state fields, in order.</param>
    public StateSchema(string aggregation, ulong fingerprint, StateField[] keyFields, StateField[] stateFields)
    {
        Aggregation = aggregation;
        Fingerprint = fingerprint;
        KeyFields = keyFields;
        StateFields = stateFields;
    }

    /// <summary>The aggregation's full type name.</summary>
    public string Aggregation { get; }

    /// <summary>
    /// FNV-1a (64-bit) over the canonical text of the key and state layouts, computed at build
    /// time; equal to the spec's <c>StateFingerprint</c>.
    /// </summary>
    public ulong Fingerprint { get; }

    /// <summary>The key components, in order; empty for a global aggregation.</summary>
    public IReadOnlyList<StateField> KeyFields { get; }

    /// <summary>The state fields, in order.</summary>
    public IReadOnlyList<StateField> StateFields { get; }
}
