using System.Globalization;
using System.Text.Json;

namespace Kernel.Checkpoints;

/// <summary>One operator's state in a savepoint.</summary>
/// <param name="Participant">The participant's name (its state file is <c>&lt;participant&gt;.state</c>).</param>
/// <param name="Aggregation">The aggregation's name.</param>
/// <param name="Fingerprint">The state fingerprint the state was written under.</param>
/// <param name="Layout">The state layout with offsets; null when the writer's spec carried no schema (then only the same fingerprint restores).</param>
public sealed record SavepointOperator(string Participant, string Aggregation, ulong Fingerprint, StateLayout? Layout);

/// <summary>
/// A savepoint: a self-contained directory holding everything a new process, possibly of a newer
/// build, needs to go on from a completed checkpoint: every operator's state (windows, watermarks,
/// counters) with its state layout, and every source's position. Unlike a checkpoint it does not
/// depend on the data directory (no journal replay, no sink epochs): restoring it into a fresh data
/// directory resumes each source after the recorded position.
/// </summary>
/// <remarks>
/// Layout: <c>savepoint.json</c> (this record) and one <c>&lt;participant&gt;.state</c> per operator,
/// in the operator snapshot format. The directory is written under a temporary name and renamed,
/// so a savepoint directory that exists is complete.
/// </remarks>
public sealed class Savepoint
{
    /// <summary>The name of the description file inside a savepoint directory.</summary>
    public const string FileName = "savepoint.json";

    /// <summary>The format version written.</summary>
    public const int FormatVersion = 1;

    private const string StateSuffix = ".state";

    /// <summary>Creates a savepoint description (see <see cref="Write"/> and <see cref="Read"/>).</summary>
    public Savepoint(long checkpointId, long ringSequence, IReadOnlyDictionary<int, long> sourcePositions, IReadOnlyList<SavepointOperator> operators, DateTimeOffset createdUtc)
    {
        ArgumentNullException.ThrowIfNull(sourcePositions);
        ArgumentNullException.ThrowIfNull(operators);
        CheckpointId = checkpointId;
        RingSequence = ringSequence;
        SourcePositions = sourcePositions;
        Operators = operators;
        CreatedUtc = createdUtc;
    }

    /// <summary>The checkpoint the savepoint was taken from.</summary>
    public long CheckpointId { get; }

    /// <summary>The ring sequence of that checkpoint's barrier (in the writing process).</summary>
    public long RingSequence { get; }

    /// <summary>Per source, the position of the last record the state covers: resume after it.</summary>
    public IReadOnlyDictionary<int, long> SourcePositions { get; }

    /// <summary>The operators whose state the savepoint holds.</summary>
    public IReadOnlyList<SavepointOperator> Operators { get; }

    /// <summary>When the savepoint was written.</summary>
    public DateTimeOffset CreatedUtc { get; }

    /// <summary>The state file of <paramref name="participant"/> inside <paramref name="directory"/>.</summary>
    public static string StatePath(string directory, string participant) => CheckpointContext.Combine(directory, participant + StateSuffix);

    /// <summary>
    /// Writes a savepoint to <paramref name="directory"/> (which must not exist) from the complete
    /// checkpoint <paramref name="checkpointId"/> of <paramref name="store"/>, describing the operators of
    /// <paramref name="participants"/>.
    /// </summary>
    /// <exception cref="IOException"><paramref name="directory"/> exists.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is incomplete or lacks an operator's state.</exception>
    public static Savepoint Write(CheckpointStore store, long checkpointId, IReadOnlyList<OperatorParticipant> participants, string directory)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(participants);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var target = Path.GetFullPath(directory);
        if (Directory.Exists(target) || File.Exists(target)) throw new IOException($"savepoint directory {target} already exists");
        using var lease = store.AcquireRestoreLease(checkpointId);
        var manifest = store.ReadManifest(checkpointId);
        var source = store.GetCheckpointDirectory(checkpointId);
        var operators = new List<SavepointOperator>(participants.Count);
        var temp = target + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        try
        {
            foreach (var participant in participants)
            {
                var op = participant.Operator;
                // Always the full format: an incremental checkpoint's state is rebuilt from its LSM checkpoint.
                participant.WriteFullState(source, checkpointId, StatePath(temp, participant.Name));
                var layout = (op as IMigratableSnapshotOperator)?.Layout;
                operators.Add(new SavepointOperator(participant.Name, op.AggregationName, op.StateFingerprint, layout));
            }
            var savepoint = new Savepoint(checkpointId, manifest.RingSequence, new Dictionary<int, long>(manifest.SourcePositions), operators, DateTimeOffset.UtcNow);
            AtomicFile.Write(Path.Combine(temp, FileName), savepoint.ToJson());
            DirectorySync.Flush(temp);
            Directory.Move(temp, target);
            var parent = Path.GetDirectoryName(target);
            if (parent is not null) DirectorySync.Flush(parent);
            return savepoint;
        }
        catch
        {
            try
            {
                Directory.Delete(temp, recursive: true);
            }
            catch (IOException)
            {
            }
            throw;
        }
    }

    /// <summary>Reads the description of the savepoint in <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">The directory holds no savepoint, or its description is damaged or of another version.</exception>
    public static Savepoint Read(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new InvalidDataException($"{directory} is not a savepoint: {FileName} is missing");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = json.RootElement;
            var version = root.GetProperty("version").GetInt32();
            if (version != FormatVersion) throw new InvalidDataException($"{path}: savepoint format version {version} is not supported (expected {FormatVersion})");
            var positions = new Dictionary<int, long>();
            foreach (var p in root.GetProperty("sourcePositions").EnumerateObject())
                positions[int.Parse(p.Name, CultureInfo.InvariantCulture)] = p.Value.GetInt64();
            var operators = new List<SavepointOperator>();
            foreach (var o in root.GetProperty("operators").EnumerateArray())
            {
                var layout = o.GetProperty("layout");
                operators.Add(new SavepointOperator(
                    o.GetProperty("participant").GetString()!,
                    o.GetProperty("aggregation").GetString()!,
                    ulong.Parse(o.GetProperty("fingerprint").GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    layout.ValueKind == JsonValueKind.Null ? null : ReadLayout(layout)));
            }
            return new Savepoint(root.GetProperty("checkpointId").GetInt64(), root.GetProperty("ringSequence").GetInt64(), positions, operators,
                DateTimeOffset.Parse(root.GetProperty("createdUtc").GetString()!, CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new InvalidDataException($"{path}: the savepoint description is damaged: {e.Message}", e);
        }
    }

    /// <summary>The description as JSON (what <c>savepoint.json</c> holds).</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", "kernel-savepoint");
            w.WriteNumber("version", FormatVersion);
            w.WriteNumber("checkpointId", CheckpointId);
            w.WriteNumber("ringSequence", RingSequence);
            w.WriteString("createdUtc", CreatedUtc.ToString("O", CultureInfo.InvariantCulture));
            w.WriteStartObject("sourcePositions");
            foreach (var (source, position) in SourcePositions.OrderBy(p => p.Key))
                w.WriteNumber(source.ToString(CultureInfo.InvariantCulture), position);
            w.WriteEndObject();
            w.WriteStartArray("operators");
            foreach (var op in Operators)
            {
                w.WriteStartObject();
                w.WriteString("participant", op.Participant);
                w.WriteString("aggregation", op.Aggregation);
                w.WriteString("fingerprint", op.Fingerprint.ToString("X16", CultureInfo.InvariantCulture));
                w.WritePropertyName("layout");
                if (op.Layout is null) w.WriteNullValue();
                else WriteLayout(w, op.Layout);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteLayout(Utf8JsonWriter w, StateLayout layout)
    {
        w.WriteStartObject();
        w.WriteString("aggregation", layout.Aggregation);
        w.WriteString("fingerprint", layout.Fingerprint.ToString("X16", CultureInfo.InvariantCulture));
        w.WriteNumber("keySize", layout.KeySize);
        w.WriteNumber("stateSize", layout.StateSize);
        w.WriteBase64String("initialState", layout.InitialState);
        WriteFields(w, "keyFields", layout.KeyFields);
        WriteFields(w, "stateFields", layout.StateFields);
        w.WriteEndObject();
    }

    private static void WriteFields(Utf8JsonWriter w, string name, IReadOnlyList<StateLayoutField> fields)
    {
        w.WriteStartArray(name);
        foreach (var f in fields)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            w.WriteString("type", f.TypeName);
            w.WriteString("kind", f.Kind.ToString());
            w.WriteNumber("offset", f.Offset);
            w.WriteNumber("size", f.Size);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static StateLayout ReadLayout(JsonElement e) => new(
        e.GetProperty("aggregation").GetString()!,
        ulong.Parse(e.GetProperty("fingerprint").GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        e.GetProperty("keySize").GetInt32(),
        e.GetProperty("stateSize").GetInt32(),
        ReadFields(e.GetProperty("keyFields")),
        ReadFields(e.GetProperty("stateFields")),
        e.GetProperty("initialState").GetBytesFromBase64());

    private static StateLayoutField[] ReadFields(JsonElement array) => array.EnumerateArray().Select(f => new StateLayoutField(
        f.GetProperty("name").GetString()!,
        f.GetProperty("type").GetString()!,
        Enum.Parse<AggregateKind>(f.GetProperty("kind").GetString()!),
        f.GetProperty("offset").GetInt32(),
        f.GetProperty("size").GetInt32())).ToArray();
}
