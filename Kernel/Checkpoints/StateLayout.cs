using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Checkpoints;

/// <summary>One field of a <see cref="StateLayout"/>: the schema's description plus where its bytes sit.</summary>
/// <param name="Name">The field name in the generated <c>Key</c> or <c>State</c> struct.</param>
/// <param name="TypeName">The field's C# type, as the generator wrote it.</param>
/// <param name="Kind">What the field holds.</param>
/// <param name="Offset">The field's byte offset in its struct (measured in this process).</param>
/// <param name="Size">The field's size in bytes.</param>
public readonly record struct StateLayoutField(string Name, string TypeName, AggregateKind Kind, int Offset, int Size);

/// <summary>
/// An aggregation's key and state layout with byte offsets: the generated <see cref="StateSchema"/>
/// completed with what only the runtime knows (field offsets and sizes, the initial state). A savepoint
/// stores it beside the state so that a later build can migrate the aggregates field by field.
/// </summary>
public sealed class StateLayout
{
    /// <summary>Creates a layout (from a savepoint file or from <see cref="TryOf{TKey, TState}"/>).</summary>
    public StateLayout(string aggregation, ulong fingerprint, int keySize, int stateSize, IReadOnlyList<StateLayoutField> keyFields, IReadOnlyList<StateLayoutField> stateFields, byte[] initialState)
    {
        ArgumentException.ThrowIfNullOrEmpty(aggregation);
        ArgumentNullException.ThrowIfNull(keyFields);
        ArgumentNullException.ThrowIfNull(stateFields);
        ArgumentNullException.ThrowIfNull(initialState);
        Aggregation = aggregation;
        Fingerprint = fingerprint;
        KeySize = keySize;
        StateSize = stateSize;
        KeyFields = keyFields;
        StateFields = stateFields;
        InitialState = initialState;
    }

    /// <summary>The aggregation's name.</summary>
    public string Aggregation { get; }

    /// <summary>The state fingerprint.</summary>
    public ulong Fingerprint { get; }

    /// <summary>The key's size in bytes.</summary>
    public int KeySize { get; }

    /// <summary>The state's size in bytes.</summary>
    public int StateSize { get; }

    /// <summary>The key components, in order.</summary>
    public IReadOnlyList<StateLayoutField> KeyFields { get; }

    /// <summary>The state fields, in order.</summary>
    public IReadOnlyList<StateLayoutField> StateFields { get; }

    /// <summary>The state's bytes after the spec's <c>Init</c> (every aggregate's identity).</summary>
    public byte[] InitialState { get; }

    /// <summary>
    /// The layout of a spec that carries a generated <c>public static StateSchema Schema</c>, or null
    /// when it has none (a hand-written spec). Offsets are measured on <typeparamref name="TState"/>
    /// and <typeparamref name="TKey"/> by reflection; this is done once per aggregation, never per event.
    /// </summary>
    public static StateLayout? TryOf<TKey, TState>(string aggregation, ulong fingerprint, Type spec, int stateSize, byte[] initialState)
        where TKey : unmanaged
        where TState : unmanaged
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.GetProperty("Schema", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is not StateSchema schema) return null;
        var keyFields = schema.KeyFields.Count == 1 && typeof(TKey).GetField(schema.KeyFields[0].Name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance) is null
            ? [new StateLayoutField(schema.KeyFields[0].Name, schema.KeyFields[0].TypeName, schema.KeyFields[0].Kind, 0, Unsafe.SizeOf<TKey>())]
            : Fields<TKey>(schema.KeyFields);
        return new StateLayout(aggregation, fingerprint, Unsafe.SizeOf<TKey>(), stateSize, keyFields, Fields<TState>(schema.StateFields), initialState);
    }

    private static StateLayoutField[] Fields<T>(IReadOnlyList<StateField> fields) where T : unmanaged
    {
        var result = new StateLayoutField[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            var f = fields[i];
            var info = typeof(T).GetField(f.Name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                ?? throw new InvalidOperationException($"aggregation state type {typeof(T).Name} has no field '{f.Name}' named by its schema");
            var (offset, size) = Measure<T>(info);
            result[i] = new StateLayoutField(f.Name, f.TypeName, f.Kind, offset, size);
        }
        return result;
    }

    /// <summary>Finds a field's bytes: set it to all-ones on a zeroed struct and see which bytes changed.</summary>
    private static (int Offset, int Size) Measure<T>(FieldInfo field) where T : unmanaged
    {
        var size = (int)typeof(StateLayout).GetMethod(nameof(SizeOf), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(field.FieldType).Invoke(null, null)!;
        var ones = typeof(StateLayout).GetMethod(nameof(AllOnes), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(field.FieldType).Invoke(null, null);
        object boxed = default(T);
        field.SetValue(boxed, ones);
        var value = (T)boxed;
        var bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value));
        var first = bytes.IndexOfAnyExcept((byte)0);
        if (first < 0) throw new InvalidOperationException($"could not locate field '{field.Name}' of {typeof(T).Name}");
        return (first, size);
    }

    private static int SizeOf<TField>() where TField : unmanaged => Unsafe.SizeOf<TField>();

    private static object AllOnes<TField>() where TField : unmanaged
    {
        Span<byte> bytes = stackalloc byte[Unsafe.SizeOf<TField>()];
        bytes.Fill(0xFF);
        return MemoryMarshal.Read<TField>(bytes);
    }
}
