using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Kernel.Generators.Model;

namespace Kernel.Generators;

internal static partial class Emitter
{
    private const string Inline = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]";

    /// <summary>Emits <c>State</c>, <c>Key</c> (when needed) and <c>Spec</c> for one aggregation.</summary>
    public static string EmitAggregation(AggregationModel model)
    {
        var type = model.Type;
        var w = Begin(type);
        w.Open("partial " + type.Keyword + " " + type.Name);
        EmitState(w, model);
        if (model.NeedsKeyStruct)
        {
            w.Line();
            EmitKey(w, model);
        }
        if (model.IsUpsert)
        {
            w.Line();
            EmitUpstreamKey(w, model);
        }
        if (model.Sketches.Count > 0)
        {
            w.Line();
            EmitSketches(w, model);
        }
        w.Line();
        EmitFactory(w, model);
        w.Line();
        EmitSpec(w, model);
        w.Close();
        return w.ToString();
    }

    /// <summary>
    /// <c>CreateOperator</c>: the runtime operator that runs this aggregation, with its five or six type arguments
    /// written out here rather than by the user — windowed, keyed over events, or upserts over another aggregation's rows.
    /// </summary>
    private static void EmitFactory(SourceWriter w, AggregationModel model)
    {
        var row = model.Type.FullName;
        var input = model.InputFullName;
        var key = KeyType(model);
        const string Ops = "global::Kernel.Operators.";
        var see = "<see cref=\"" + model.Type.Name + "\"/>";
        if (model.Window.Kind != "None")
        {
            var type = Ops + "WindowedAggregator<" + input + ", " + key + ", State, " + row + ", Spec>";
            w.Line("/// <summary>Creates the windowed operator that runs " + see + " (a ring handler, or fed in batches with <c>Apply</c>).</summary>");
            w.Line("/// <param name=\"sink\">Receives the emitted rows.</param>");
            w.Line("/// <param name=\"lateEvents\">Receives the events too late to count; null to count them only.</param>");
            w.Line("/// <param name=\"options\">Runtime settings and overrides of the declared window; null for the declared ones.</param>");
            w.Line("public static " + type + " CreateOperator(" + Ops + "IRowSink<" + row + "> sink, " + Ops + "ILateEventSink<" + input + ">? lateEvents = null, " + Ops + "WindowOptions? options = null)");
            w.Line("    => new " + type + "(sink, lateEvents, options);");
            return;
        }
        if (model.IsUpsert)
        {
            var type = Ops + "UpsertAggregator<" + input + ", UpstreamKey, " + key + ", State, " + row + ", Spec>";
            w.Line("/// <summary>Creates the operator that runs " + see + " over its input's rows as upserts (attach it as the input operator's sink or change sink).</summary>");
            w.Line("/// <param name=\"initialCapacity\">Upstream rows (and keys) to hold before the tables first grow.</param>");
            w.Line("/// <param name=\"control\">Told about barriers and end of input met in a ring; may be null.</param>");
            w.Line("/// <param name=\"changes\">Receives this aggregation's own changes (for a further stage); null for none.</param>");
            w.Line("public static " + type + " CreateOperator(int initialCapacity = 1024, " + Ops + "IControlListener? control = null, " + Ops + "IRowSink<" + row + ">? changes = null)");
            w.Line("    => new " + type + "(initialCapacity, control, changes);");
            return;
        }
        var keyed = Ops + "KeyedAggregator<" + input + ", " + key + ", State, " + row + ", Spec>";
        w.Line("/// <summary>Creates the keyed operator that runs " + see + " (a ring handler, or fed in batches with <c>Apply</c>).</summary>");
        w.Line("/// <param name=\"options\">Runtime settings; null for the defaults.</param>");
        w.Line("/// <param name=\"changes\">Receives each changed key's row once per batch (for an aggregation over these rows); null for none.</param>");
        w.Line("public static " + keyed + " CreateOperator(" + Ops + "KeyedAggregatorOptions? options = null, " + Ops + "IRowSink<" + row + ">? changes = null)");
        w.Line("    => new " + keyed + "(options ?? new " + Ops + "KeyedAggregatorOptions(), changes);");
    }

    private static string KeyType(AggregationModel model)
        => model.Keys.Count == 0 ? "byte" : model.NeedsKeyStruct ? "Key" : model.Keys[0].TypeName;

    private static void EmitState(SourceWriter w, AggregationModel model)
    {
        w.Line("/// <summary>The running aggregate of one key (and window) of <see cref=\"" + model.Type.Name + "\"/>: unmanaged, merged by <see cref=\"Spec.Merge\"/>.</summary>");
        w.Line("[global::System.Runtime.InteropServices.StructLayout(global::System.Runtime.InteropServices.LayoutKind.Sequential)]");
        w.Open("public struct State");
        var first = true;
        foreach (var f in model.StateFields)
        {
            if (!first) w.Line();
            first = false;
            var shared = f.Kind == "AvgSum" ? SharedCount(model) : null;
            w.Line("/// <summary>" + Describe(f) + (shared is null ? string.Empty : " Divided by <see cref=\"" + shared + "\"/>, the count it shares.") + "</summary>");
            w.Line("public " + f.TypeName + " " + f.Name + ";");
        }
        w.Close();
    }

    /// <summary>
    /// Emits <c>StateHotBytes</c>: the offset of the first cold field (a <c>[First]</c> value, which the parser
    /// orders last), or the whole state when every field is hot. An offset the JIT folds to a constant.
    /// </summary>
    private static void EmitStateHotBytes(SourceWriter w, AggregationModel model)
    {
        StateFieldModel? cold = null;
        foreach (var f in model.StateFields)
        {
            if (f.Kind != "First") continue;
            cold = f;
            break;
        }
        const string U = "global::System.Runtime.CompilerServices.Unsafe";
        w.Line("/// <inheritdoc/>");
        if (cold is null)
        {
            w.Line("public static int StateHotBytes => " + U + ".SizeOf<State>();");
            return;
        }
        w.Open("public static int StateHotBytes");
        w.Open("get");
        w.Line("var state = default(State);");
        w.Line("return (int)" + U + ".ByteOffset(ref " + U + ".As<State, byte>(ref state), ref " + U + ".As<" + cold.TypeName + ", byte>(ref state." + cold.Name + "));");
        w.Close();
        w.Close();
    }

    private static string Describe(StateFieldModel f)
    {
        var source = "<c>" + f.Source + "</c>";
        return f.Kind switch
        {
            "Sum" => "The running sum of " + source + ".",
            "Count" => "The number of events folded.",
            "Min" => "The smallest " + source + " seen.",
            "Max" => "The largest " + source + " seen.",
            "AvgSum" => "The sum half of the average of " + source + ".",
            "AvgCount" => "The count half of the average.",
            "First" => source + " of the earliest event.",
            "FirstTime" => "The event time of the earliest event (<c>long.MaxValue</c> before any).",
            "Last" => source + " of the latest event.",
            "DistinctCount" => "The handle of the HyperLogLog counting " + source + " in <see cref=\"Sketches\"/> (0 before the first event).",
            "Sample" => "The handle of the reservoir sampling the events in <see cref=\"Sketches\"/> (0 before the first event).",
            "TopK" => "The handle of the leaderboard ranking by " + source + " in <see cref=\"Sketches\"/> (0 before the first row).",
            _ => "The event time of the latest event (<c>long.MinValue</c> before any).",
        };
    }

    private static void EmitKey(SourceWriter w, AggregationModel model)
    {
        var keys = model.Keys;
        w.Line("/// <summary>The grouping key of <see cref=\"" + model.Type.Name + "\"/>.</summary>");
        w.Open("public readonly struct Key : global::System.IEquatable<Key>");
        foreach (var k in keys)
        {
            w.Line("/// <summary>The key component read from <c>" + k.SourceMember + "</c>.</summary>");
            w.Line("public readonly " + k.TypeName + " " + k.RowMember + ";");
            w.Line();
        }
        w.Line("/// <summary>Creates a key from its components.</summary>");
        w.Open("public Key(" + string.Join(", ", keys.Select(k => k.TypeName + " " + Camel(k.RowMember))) + ")");
        foreach (var k in keys) w.Line(k.RowMember + " = " + Camel(k.RowMember) + ";");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public bool Equals(Key other) => " + string.Join(" && ", keys.Select(k => k.RowMember + " == other." + k.RowMember)) + ";");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public override bool Equals(object? obj) => obj is Key other && Equals(other);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public override int GetHashCode() => unchecked((int)Spec.HashKey(in this));");
        w.Line();
        w.Line("/// <summary>Compares two keys component by component.</summary>");
        w.Line("public static bool operator ==(Key left, Key right) => left.Equals(right);");
        w.Line();
        w.Line("/// <summary>Compares two keys component by component.</summary>");
        w.Line("public static bool operator !=(Key left, Key right) => !left.Equals(right);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public override string ToString() => $\"(" + string.Join(", ", keys.Select(k => k.RowMember + "={" + k.RowMember + "}")) + ")\";");
        w.Close();
    }

    private static void EmitSpec(SourceWriter w, AggregationModel model)
    {
        var row = model.Type.FullName;
        var input = model.InputFullName;
        var key = KeyType(model);
        var window = model.Window;
        w.Line("/// <summary>");
        w.Line("/// The compiled form of <see cref=\"" + model.Type.Name + "\"/> for the runtime's struct-constrained operators:");
        w.Line("/// filter, key and fold inline into the operator's loop.");
        w.Line("/// </summary>");
        w.Open("public readonly struct Spec : global::Kernel.Operators.IAggregationSpec<" + input + ", " + key + ", State, " + row + ">"
            + (model.IsUpsert ? ", global::Kernel.Operators.IUpsertSpec<" + input + ", UpstreamKey, State>" : string.Empty));
        EmitSchemaField(w, model);
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static string Name => " + Literal(model.Type.MetadataName) + ";");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static ulong StateFingerprint => 0x" + model.Fingerprint.ToString("X16", CultureInfo.InvariantCulture) + "UL;");
        w.Line();
        EmitStateHotBytes(w, model);
        w.Line();
        w.Line("/// <summary>The key and state layout as data (for savepoint migration).</summary>");
        w.Line("public static global::Kernel.StateSchema Schema => s_schema;");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static global::Kernel.Operators.WindowSpec Window => new global::Kernel.Operators.WindowSpec");
        w.Line("{");
        w.Line("    Kind = global::Kernel.WindowKind." + window.Kind + ",");
        w.Line("    SizeMs = " + Long(window.SizeMs) + ",");
        w.Line("    SlideMs = " + Long(window.SlideMs) + ",");
        w.Line("    OffsetMs = " + Long(window.OffsetMs) + ",");
        w.Line("    GapMs = " + Long(window.GapMs) + ",");
        w.Line("    MaxOutOfOrdernessMs = " + Long(window.MaxOutOfOrdernessMs) + ",");
        w.Line("    IdleTimeoutMs = " + Long(window.IdleTimeoutMs) + ",");
        w.Line("    AllowedLatenessMs = " + Long(window.AllowedLatenessMs) + ",");
        w.Line("    Emit = global::Kernel.EmitMode." + window.Emit + ",");
        w.Line("    EmitIntervalMs = " + Long(window.EmitIntervalMs) + ",");
        w.Line("};");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Line("public static bool Filter(in " + input + " e) => " + (model.WhereMember.Length > 0 ? "e." + model.WhereMember : "true") + ";");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        var keyOf = model.Keys.Count == 0 ? "0"
            : model.NeedsKeyStruct ? "new Key(" + string.Join(", ", model.Keys.Select(k => "e." + k.SourceMember)) + ")"
            : "e." + model.Keys[0].SourceMember;
        w.Line("public static " + key + " KeyOf(in " + input + " e) => " + keyOf + ";");
        w.Line();
        EmitHashKey(w, model, key);
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Line("public static long EventTime(in " + input + " e) => " + EventTimeExpression(model.EventTime) + ";");
        w.Line();
        EmitInit(w, model);
        w.Line();
        EmitUpdate(w, model, input);
        w.Line();
        EmitMerge(w, model);
        w.Line();
        EmitToRow(w, model, key, row);
        if (model.IsUpsert)
        {
            w.Line();
            EmitUpsertMembers(w, model, input);
        }
        if (model.Sketches.Count > 0)
        {
            w.Line();
            EmitSideMembers(w, model, input, row);
        }
        w.Close();
    }

    private static string PoolType(SketchModel k, AggregationModel model) => k.Op switch
    {
        AggregateOp.DistinctCount => "global::Kernel.Sketches.HyperLogLogPool",
        AggregateOp.Sample => "global::Kernel.Sketches.ReservoirPool<" + model.InputFullName + ">",
        _ => "global::Kernel.Sketches.LeaderboardPool<" + k.KeyTypeName + ", " + k.ValueTypeName + ">",
    };

    private static string PoolArguments(SketchModel k) => k.Op == AggregateOp.Sample
        ? Int(k.Size) + ", " + k.Seed.ToString(CultureInfo.InvariantCulture) + "UL"
        : Int(k.Size);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void EmitSketches(SourceWriter w, AggregationModel model)
    {
        w.Line("/// <summary>The side state of <see cref=\"" + model.Type.Name + "\"/>: one pool of sketches per sketch member, addressed by the handles in <see cref=\"State\"/>.</summary>");
        w.Open("public sealed class Sketches : global::Kernel.Operators.SideState");
        foreach (var k in model.Sketches)
        {
            w.Line("/// <summary>The sketches of <c>" + k.RowMember + "</c>.</summary>");
            w.Line("public readonly " + PoolType(k, model) + " " + k.RowMember + " = new " + PoolType(k, model) + "(" + PoolArguments(k) + ");");
            w.Line();
        }
        w.Line("/// <inheritdoc/>");
        w.Line("public override long Live => " + string.Join(" + ", model.Sketches.Select(k => "(long)" + k.RowMember + ".Live")) + ";");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("public override void WriteSnapshot(global::System.Buffers.IBufferWriter<byte> output)");
        foreach (var k in model.Sketches) w.Line(k.RowMember + ".WriteSnapshot(output);");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("public override void RestoreSnapshot(global::System.ReadOnlySpan<byte> snapshot)");
        w.Line("var at = 0;");
        foreach (var k in model.Sketches) w.Line("at += " + k.RowMember + ".RestoreSnapshot(snapshot.Slice(at));");
        w.Open("if (at != snapshot.Length)");
        w.Line("throw new global::System.IO.InvalidDataException(" + Literal(model.Type.Name + " side state: ") + " + (snapshot.Length - at) + \" bytes follow the last sketch pool\");");
        w.Close();
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("public override void Clear()");
        foreach (var k in model.Sketches) w.Line(k.RowMember + ".Clear();");
        w.Close();
        w.Close();
    }

    private static string HashInput(SketchModel k)
    {
        var v = "e." + k.SourceMember;
        return k.SourceKind switch
        {
            ValueKind.Boolean => "(" + v + " ? 1L : 0L)",
            ValueKind.DateTime => v + ".Ticks",
            ValueKind.DateTimeOffset => v + ".UtcTicks",
            _ => "unchecked((long)" + v + ")",
        };
    }

    private static void EmitSideMembers(SourceWriter w, AggregationModel model, string input, string row)
    {
        // The side state is the Sketches object CreateSideState made for this operator, so the
        // unchecked cast is safe and the per-event path has no type check or virtual call.
        const string Cast = "global::System.Runtime.CompilerServices.Unsafe.As<Sketches>(side)";
        w.Line("/// <inheritdoc/>");
        w.Line("public static bool HasSideState => true;");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static global::Kernel.Operators.SideState CreateSideState() => new Sketches();");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Open("public static void UpdateSide(global::Kernel.Operators.SideState side, ref State state, in " + input + " e)");
        w.Line("var s = " + Cast + ";");
        foreach (var k in model.Sketches)
        {
            var h = "state." + k.RowMember + "_Sketch";
            w.Line("if (" + h + " == 0) " + h + " = s." + k.RowMember + ".Rent();");
            switch (k.Op)
            {
                case AggregateOp.DistinctCount: w.Line("s." + k.RowMember + "[" + h + "].Add(" + HashInput(k) + ");"); break;
                case AggregateOp.Sample: w.Line("s." + k.RowMember + "[" + h + "].Add(in e);"); break;
                default: w.Line("s." + k.RowMember + "[" + h + "].Set(e." + k.KeyMember + ", e." + k.SourceMember + ");"); break;
            }
        }
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("public static void RetractSide(global::Kernel.Operators.SideState side, ref State state, in " + input + " e)");
        var retracts = model.Sketches.Where(k => k.Op == AggregateOp.TopK).ToList();
        if (retracts.Count > 0) w.Line("var s = " + Cast + ";");
        foreach (var k in retracts)
        {
            var h = "state." + k.RowMember + "_Sketch";
            w.Line("if (" + h + " != 0) s." + k.RowMember + "[" + h + "].Remove(e." + k.KeyMember + ");");
        }
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("public static void SideToRow(global::Kernel.Operators.SideState side, in State state, ref " + row + " row)");
        w.Line("var s = " + Cast + ";");
        foreach (var k in model.Sketches)
        {
            var h = "state." + k.RowMember + "_Sketch";
            w.Line("row." + k.RowMember + " = " + h + " == 0 ? " + (k.Op == AggregateOp.DistinctCount ? "0L" : "null!") + " : s." + k.RowMember + "[" + h + "]"
                + (k.Op == AggregateOp.DistinctCount ? ".Count()" : string.Empty) + ";");
        }
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("public static void ReleaseSide(global::Kernel.Operators.SideState side, ref State state)");
        w.Line("var s = " + Cast + ";");
        foreach (var k in model.Sketches)
        {
            var h = "state." + k.RowMember + "_Sketch";
            w.Open("if (" + h + " != 0)");
            w.Line("s." + k.RowMember + ".Release(" + h + ");");
            w.Line(h + " = 0;");
            w.Close();
        }
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("public static void CopySideHandles(in State from, ref State to)");
        foreach (var k in model.Sketches) w.Line("to." + k.RowMember + "_Sketch = from." + k.RowMember + "_Sketch;");
        w.Close();
    }

    private static void EmitUpstreamKey(SourceWriter w, AggregationModel model)
    {
        var parts = model.UpstreamKeys;
        w.Line("/// <summary>What identifies a row of the input aggregation (its keys and window start): a later row with the same identity replaces it.</summary>");
        w.Open("public readonly struct UpstreamKey : global::System.IEquatable<UpstreamKey>");
        foreach (var k in parts)
        {
            w.Line("/// <summary>The input row's <c>" + k.SourceMember + "</c>.</summary>");
            w.Line("public readonly " + k.TypeName + " " + k.RowMember + ";");
            w.Line();
        }
        w.Line("/// <summary>Creates an identity from its components.</summary>");
        w.Open("public UpstreamKey(" + string.Join(", ", parts.Select(k => k.TypeName + " " + Camel(k.RowMember))) + ")");
        foreach (var k in parts) w.Line(k.RowMember + " = " + Camel(k.RowMember) + ";");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public bool Equals(UpstreamKey other) => " + (parts.Count == 0 ? "true" : string.Join(" && ", parts.Select(k => k.RowMember + " == other." + k.RowMember))) + ";");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public override bool Equals(object? obj) => obj is UpstreamKey other && Equals(other);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public override int GetHashCode() => unchecked((int)(Spec.HashUpstreamKey(in this) >> 32));");
        w.Close();
    }

    private static void EmitUpsertMembers(SourceWriter w, AggregationModel model, string input)
    {
        var parts = model.UpstreamKeys;
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Line("public static UpstreamKey UpstreamKeyOf(in " + input + " row) => new UpstreamKey(" + string.Join(", ", parts.Select(k => "row." + k.SourceMember)) + ");");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Open("public static ulong HashUpstreamKey(in UpstreamKey key)");
        w.Line("var h = 0UL;");
        foreach (var k in parts)
        {
            w.Line("h = unchecked((h ^ " + ToUlong("key." + k.RowMember, k.Kind) + ") * 0x9E3779B97F4A7C15UL);");
        }
        w.Line("return h;");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static bool Invertible => " + (model.Invertible ? "true" : "false") + ";");
        w.Line();
        w.Line("/// <inheritdoc/>");
        if (!model.Invertible)
        {
            w.Line("public static void Retract(ref State state, in " + input + " row)");
            w.Line("    => throw new global::System.NotSupportedException(\"" + model.Type.Name + " has [Min]/[Max]: its state is rebuilt, not retracted\");");
        }
        else
        {
            w.Line(Inline);
            w.Open("public static void Retract(ref State state, in " + input + " row)");
            EmitRetractBody(w, model, "row");
            w.Close();
        }
        w.Line();
        // [Min]/[Max] are taken back without a rebuild when the row leaving does not hold the extreme (a value
        // strictly inside it: another kept row holds the extreme), or, for a replacement within the same key, when
        // the new row's value reaches at least as far (then the fold of the new row sets the extreme). A compare
        // with NaN is false: a floating NaN on either side asks for the rebuild.
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Open("public static bool TryRetract(ref State state, in " + input + " row)");
        foreach (var a in model.Aggregates)
        {
            if (a.Op is AggregateOp.Min or AggregateOp.Max)
                w.Line("if (!(row." + a.SourceMember + (a.Op == AggregateOp.Max ? " < " : " > ") + "state." + a.RowMember + ")) return false;");
        }
        EmitRetractBody(w, model, "row");
        w.Line("return true;");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Open("public static bool TryReplace(ref State state, in " + input + " old, in " + input + " row)");
        foreach (var a in model.Aggregates)
        {
            if (a.Op is not (AggregateOp.Min or AggregateOp.Max)) continue;
            var (inside, reaches) = a.Op == AggregateOp.Max ? (" < ", " >= ") : (" > ", " <= ");
            w.Line("if (!(old." + a.SourceMember + inside + "state." + a.RowMember + " || row." + a.SourceMember + reaches + "old." + a.SourceMember + ")) return false;");
        }
        EmitRetractBody(w, model, "old");
        foreach (var a in model.Aggregates)
        {
            // Where the old row held the extreme, the new value (which reaches it) is the extreme now: set it, so
            // that a tie (1.00m for 1.0m, -0.0 for +0.0) leaves the state as a fresh fold of the kept rows would.
            if (a.Op is AggregateOp.Min or AggregateOp.Max)
                w.Line("if (!(old." + a.SourceMember + (a.Op == AggregateOp.Max ? " < " : " > ") + "state." + a.RowMember + ")) state." + a.RowMember + " = row." + a.SourceMember + ";");
        }
        w.Line("return true;");
        w.Close();
    }

    /// <summary>Subtracts <paramref name="row"/>'s sums, counts and averages from <c>state</c> (extremes are left as they are).</summary>
    private static void EmitRetractBody(SourceWriter w, AggregationModel model, string row)
    {
        foreach (var a in model.Aggregates)
        {
            var s = "state." + a.RowMember;
            var v = row + "." + a.SourceMember;
            switch (a.Op)
            {
                case AggregateOp.Sum: w.Line(s + " -= " + v + ";"); break;
                case AggregateOp.Count: w.Line(s + "--;"); break;
                case AggregateOp.Avg:
                    w.Line(s + "_Sum -= " + v + ";");
                    if (SharedCount(model) is null) w.Line(s + "_Count--;");
                    break;
            }
        }
    }

    private static void EmitSchemaField(SourceWriter w, AggregationModel model)
    {
        w.Line("private static readonly global::Kernel.StateSchema s_schema = new global::Kernel.StateSchema(");
        w.Line("    " + Literal(model.Type.MetadataName) + ",");
        w.Line("    0x" + model.Fingerprint.ToString("X16", CultureInfo.InvariantCulture) + "UL,");
        EmitFields(w, model.KeyFields, ",");
        EmitFields(w, model.StateFields, ");");
    }

    private static void EmitFields(SourceWriter w, EquatableArray<StateFieldModel> fields, string end)
    {
        if (fields.Count == 0)
        {
            w.Line("    global::System.Array.Empty<global::Kernel.StateField>()" + end);
            return;
        }
        w.Line("    new global::Kernel.StateField[]");
        w.Line("    {");
        foreach (var f in fields)
        {
            w.Line("        new global::Kernel.StateField(" + Literal(f.Name) + ", " + Literal(f.TypeName) + ", global::Kernel.AggregateKind." + f.Kind + ", " + Literal(f.Source) + "),");
        }
        w.Line("    }" + end);
    }

    private static void EmitHashKey(SourceWriter w, AggregationModel model, string key)
    {
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        if (model.Keys.Count == 0)
        {
            w.Line("public static ulong HashKey(in " + key + " key) => 0UL;");
            return;
        }
        if (!model.NeedsKeyStruct)
        {
            // Fibonacci hashing: the state table takes a key's slot from the product's top bits,
            // which one multiply by 2^64/phi mixes well; a full finalizer measured slower (quick aggregate).
            w.Line("public static ulong HashKey(in " + key + " key) => unchecked(" + ToUlong("key", model.Keys[0].Kind) + " * 0x9E3779B97F4A7C15UL);");
            return;
        }
        w.Open("public static ulong HashKey(in " + key + " key)");
        w.Line("var h = 0UL;");
        foreach (var k in model.Keys)
        {
            w.Line("h = unchecked((h ^ " + ToUlong("key." + k.RowMember, k.Kind) + ") * 0x9E3779B97F4A7C15UL);");
        }
        w.Line("return h;");
        w.Close();
    }

    private static string ToUlong(string expression, ValueKind kind)
        => kind == ValueKind.Boolean ? "(" + expression + " ? 1UL : 0UL)" : "unchecked((ulong)" + expression + ")";

    private static string EventTimeExpression(EventTimeModel? time) => time switch
    {
        null => "0L",
        { Kind: ValueKind.DateTime } => "new global::System.DateTimeOffset(global::System.DateTime.SpecifyKind(e." + time.Member + ", global::System.DateTimeKind.Utc)).ToUnixTimeMilliseconds()",
        { Kind: ValueKind.DateTimeOffset } => "e." + time.Member + ".ToUnixTimeMilliseconds()",
        _ => "e." + time.Member,
    };

    private static void EmitInit(SourceWriter w, AggregationModel model)
    {
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Open("public static void Init(out State state)");
        w.Line("state = default;");
        foreach (var a in model.Aggregates)
        {
            switch (a.Op)
            {
                case AggregateOp.Min: w.Line("state." + a.RowMember + " = " + Extreme(a, max: true) + ";"); break;
                case AggregateOp.Max: w.Line("state." + a.RowMember + " = " + Extreme(a, max: false) + ";"); break;
                case AggregateOp.First: w.Line("state." + a.RowMember + "_Time = long.MaxValue;"); break;
                case AggregateOp.Last: w.Line("state." + a.RowMember + "_Time = long.MinValue;"); break;
            }
        }
        w.Close();
    }

    private static string Extreme(AggregateModel a, bool max)
        => a.RowKind is ValueKind.Single or ValueKind.Double
            ? a.RowTypeName + (max ? ".PositiveInfinity" : ".NegativeInfinity")
            : a.RowTypeName + (max ? ".MaxValue" : ".MinValue");

    private static void EmitUpdate(SourceWriter w, AggregationModel model, string input)
    {
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Open("public static void Update(ref State state, in " + input + " e)");
        if (model.Aggregates.Any(a => a.Op is AggregateOp.First or AggregateOp.Last))
        {
            w.Line("var time = EventTime(in e);");
        }
        // An event member read more than once is read once into a local: the state is written through a
        // reference the JIT cannot prove apart from the event's, so it would reload the member after each store.
        var hoisted = HoistedMembers(model);
        foreach (var m in hoisted) w.Line("var " + HoistedLocal(m) + " = e." + m + ";");
        foreach (var a in model.Aggregates)
        {
            var s = "state." + a.RowMember;
            var v = hoisted.Contains(a.SourceMember) ? HoistedLocal(a.SourceMember) : "e." + a.SourceMember;
            switch (a.Op)
            {
                // "s = s + v", not "s += v": C# compiles a compound assignment to a field through a reference
                // as one address duplicated (IL dup), which the JIT computes into a register of its own, an extra
                // lea per field per event (Tier1 disassembly); spelled out, the add folds the field's offset.
                case AggregateOp.Sum: w.Line(s + " = " + Plus(s, v, a.RowKind, a.RowTypeName) + ";"); break;
                case AggregateOp.Count: w.Line(s + " = " + s + " + 1;"); break;
                // An extreme rarely changes once a key has seen a few events: a compare and a predictable
                // branch, with no store, is cheaper than Math.Min's store of every event. Floating types keep
                // Math.Min/Max, which propagate NaN (a compare with NaN is false and would drop it).
                case AggregateOp.Min when a.RowKind is ValueKind.Single or ValueKind.Double: w.Line(s + " = global::System.Math.Min(" + s + ", " + v + ");"); break;
                case AggregateOp.Max when a.RowKind is ValueKind.Single or ValueKind.Double: w.Line(s + " = global::System.Math.Max(" + s + ", " + v + ");"); break;
                case AggregateOp.Min when SelectsExtreme(model, a): EmitSelect(w, a, s, v, "<"); break;
                case AggregateOp.Max when SelectsExtreme(model, a): EmitSelect(w, a, s, v, ">"); break;
                case AggregateOp.Min: w.Line("if (" + v + " < " + s + ") " + s + " = " + v + ";"); break;
                case AggregateOp.Max: w.Line("if (" + v + " > " + s + ") " + s + " = " + v + ";"); break;
                case AggregateOp.Avg:
                    w.Line(s + "_Sum = " + s + "_Sum + " + v + ";");   // a long, decimal or double sum: no narrowing
                    if (SharedCount(model) is null) w.Line(s + "_Count = " + s + "_Count + 1;");
                    break;
                case AggregateOp.First:
                case AggregateOp.Last:
                    // First keeps the earliest arrival among equal times, Last the latest.
                    w.Open("if (time " + (a.Op == AggregateOp.First ? "<" : ">=") + " " + s + "_Time)");
                    w.Line(s + "_Time = time;");
                    w.Line(s + " = " + v + ";");
                    w.Close();
                    break;
            }
        }
        w.Close();
    }

    /// <summary>
    /// <c>s + v</c> as the value of <c>s += v</c>: a field narrower than <c>int</c> gets the cast that a compound
    /// assignment implies (the sum of two shorts is an int; checked or not as the project is, like the compound
    /// assignment), every other numeric type is its own sum's type.
    /// </summary>
    private static string Plus(string s, string v, ValueKind kind, string typeName)
        => kind is ValueKind.SByte or ValueKind.Byte or ValueKind.Int16 or ValueKind.UInt16 or ValueKind.Char
            ? "(" + typeName + ")(" + s + " + " + v + ")"
            : s + " + " + v;

    /// <summary>
    /// True when an integer <c>[Min]</c>/<c>[Max]</c> of a windowed aggregation folds without a branch
    /// (<see cref="EmitSelect"/>). A window's state starts anew with every window (or pane), so a new
    /// extreme is frequent: n events of a key in a window set about ln n + 0.58 of them (4.3 in 40, a
    /// <c>daily</c> key's day in the <c>windows</c> suite), each a mispredicted branch, against one in
    /// several hundred events for the keyed operator's long-lived state, which keeps the branch (a store per
    /// event costs it more than the rare misprediction).
    /// </summary>
    private static bool SelectsExtreme(AggregationModel model, AggregateModel a)
        => model.Window.Kind != "None" && a.RowKind is ValueKind.Int32 or ValueKind.UInt32 or ValueKind.Int64 or ValueKind.UInt64;

    /// <summary>
    /// <c>s = v op s ? v : s</c> without a branch (the JIT's if-conversion leaves loops alone): where vectors are
    /// accelerated (a JIT-time constant), as <c>Vector128.Min</c>/<c>Max</c> of the two values in lane 0 (one
    /// instruction for 32-bit values, and for 64-bit ones with AVX-512's <c>vpminsq</c>; a compare and a blend
    /// without it); otherwise as a mask select,
    /// <c>s ^= (s ^ v) &amp; mask</c> (the compare's flag as 0 or all ones). The vector form took the
    /// <c>daily</c> loop's two extremes from 16 instructions to 8 and freed the registers whose spills the JIT
    /// reloaded every event (session 13: <c>windows</c> thread-CPU pairs, daily/unwindowed 0.62 → 0.75). The
    /// value is cast to the field's type first: <c>if (v &lt; s) s = v;</c> compiles only when it converts
    /// implicitly, so the cast keeps its value.
    /// </summary>
    private static void EmitSelect(SourceWriter w, AggregateModel a, string s, string v, string op)
    {
        var t = a.RowTypeName;
        var x = "((" + t + ")" + v + ")";
        const string V = "global::System.Runtime.Intrinsics.Vector128";
        w.Line("if (" + V + ".IsHardwareAccelerated) " + s + " = " + V + ".ToScalar(" + V + "." + (op == "<" ? "Min" : "Max") + "(" + V + ".CreateScalarUnsafe(" + s + "), " + V + ".CreateScalarUnsafe(" + x + ")));");
        w.Line("else " + s + " ^= (" + s + " ^ " + x + ") & unchecked((" + t + ")0 - (" + t + ")global::System.Runtime.CompilerServices.Unsafe.BitCast<bool, byte>(" + x + " " + op + " " + s + "));");
    }

    /// <summary>
    /// The event members <c>Update</c> reads more than once outside a rarely taken branch (a Sum or Avg
    /// reads its member once, an integer Min or Max twice: the compare and the store), in declaration order.
    /// First and Last read theirs only when the event's time wins, so they alone do not count.
    /// </summary>
    private static List<string> HoistedMembers(AggregationModel model)
    {
        var reads = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var a in model.Aggregates)
        {
            var floating = a.RowKind is ValueKind.Single or ValueKind.Double;
            var n = a.Op switch
            {
                AggregateOp.Sum or AggregateOp.Avg => 1,
                AggregateOp.Min or AggregateOp.Max => floating ? 1 : 2,   // Math.Min/Max for floating types
                _ => 0,
            };
            if (n == 0) continue;
            if (!reads.TryGetValue(a.SourceMember, out var had)) order.Add(a.SourceMember);
            reads[a.SourceMember] = had + n;
        }
        return order.Where(m => reads[m] > 1).ToList();
    }

    /// <summary>The local an event member is read into (members are identifiers, so the name is one too).</summary>
    private static string HoistedLocal(string member) => "e_" + member;

    private static void EmitMerge(SourceWriter w, AggregationModel model)
    {
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Open("public static void Merge(ref State into, in State other)");
        foreach (var a in model.Aggregates)
        {
            var i = "into." + a.RowMember;
            var o = "other." + a.RowMember;
            switch (a.Op)
            {
                case AggregateOp.Sum:
                case AggregateOp.Count: w.Line(i + " += " + o + ";"); break;
                case AggregateOp.Min: w.Line(i + " = global::System.Math.Min(" + i + ", " + o + ");"); break;
                case AggregateOp.Max: w.Line(i + " = global::System.Math.Max(" + i + ", " + o + ");"); break;
                case AggregateOp.Avg:
                    w.Line(i + "_Sum += " + o + "_Sum;");
                    if (SharedCount(model) is null) w.Line(i + "_Count += " + o + "_Count;");
                    break;
                case AggregateOp.First:
                case AggregateOp.Last:
                    // 'other' holds later events (a later pane or partition): it wins ties for Last only.
                    w.Open(a.Op == AggregateOp.First
                        ? "if (" + o + "_Time < " + i + "_Time)"
                        : "if (" + o + "_Time >= " + i + "_Time && " + o + "_Time != long.MinValue)");
                    w.Line(i + "_Time = " + o + "_Time;");
                    w.Line(i + " = " + o + ";");
                    w.Close();
                    break;
            }
        }
        w.Close();
    }

    /// <summary>The row member of the declaration's <c>[Count]</c>, which every <c>[Avg]</c> divides by; null when it has none.</summary>
    private static string? SharedCount(AggregationModel model)
    {
        foreach (var a in model.Aggregates)
        {
            if (a.Op == AggregateOp.Count) return a.RowMember;
        }
        return null;
    }

    /// <summary>The count an average divides by: the shared <c>[Count]</c>, or the average's own.</summary>
    private static string AvgCount(AggregationModel model, AggregateModel avg, string prefix)
        => prefix + (SharedCount(model) ?? avg.RowMember + "_Count");

    private static void EmitToRow(SourceWriter w, AggregationModel model, string key, string row)
    {
        w.Line("/// <inheritdoc/>");
        w.Line(Inline);
        w.Open("public static void ToRow(in " + key + " key, in State state, long windowStartMs, long windowEndMs, out " + row + " row)");
        w.Line("row = default;");
        if (model.NeedsKeyStruct)
        {
            foreach (var k in model.Keys) w.Line("row." + k.RowMember + " = key." + k.RowMember + ";");
        }
        else if (model.Keys.Count == 1)
        {
            w.Line("row." + model.Keys[0].RowMember + " = key;");
        }
        if (model.WindowStartMember.Length > 0) w.Line("row." + model.WindowStartMember + " = windowStartMs;");
        if (model.WindowEndMember.Length > 0) w.Line("row." + model.WindowEndMember + " = windowEndMs;");
        foreach (var a in model.Aggregates)
        {
            var r = "row." + a.RowMember;
            var s = "state." + a.RowMember;
            if (a.Op == AggregateOp.Avg)
            {
                var decimalRow = a.RowKind == ValueKind.Decimal;
                var count = AvgCount(model, a, "state.");
                // A long sum is divided as the row's type (double, or decimal for a decimal row).
                var sum = a.AvgSumTypeName == "long" ? (decimalRow ? "(decimal)" : "(double)") + s + "_Sum" : s + "_Sum";
                var mean = count + " == 0 ? " + (decimalRow ? "0m" : "0d") + " : " + sum + " / " + count;
                w.Line(r + " = " + (a.RowKind == ValueKind.Single ? "(float)(" + mean + ")" : mean) + ";");
            }
            else
            {
                w.Line(r + " = " + s + ";");
            }
        }
        w.Close();
    }
}
