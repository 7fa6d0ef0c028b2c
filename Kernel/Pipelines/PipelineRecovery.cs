namespace Kernel.Pipelines;

/// <summary>What a <see cref="DurablePipeline{TEvent, TTime}"/> found and did when it started.</summary>
/// <param name="CheckpointId">The checkpoint restored; 0 when the pipeline started from scratch.</param>
/// <param name="JournalOffset">The journal offset replay started at.</param>
/// <param name="EventsReplayed">Journal records replayed through the operator (not journaled again).</param>
/// <param name="SourcePositions">Per source id, the position of the last event the journal holds: resume each source here.</param>
/// <param name="Diagnostics">Messages about newer checkpoints skipped as incomplete or corrupt.</param>
public sealed record PipelineRecovery(
    long CheckpointId,
    long JournalOffset,
    long EventsReplayed,
    IReadOnlyDictionary<int, long> SourcePositions,
    IReadOnlyList<string> Diagnostics)
{
    /// <summary>Where source <paramref name="sourceId"/> resumes: after the last event of it the journal holds (0: from the start).</summary>
    public long ResumePosition(int sourceId = 0) => SourcePositions.TryGetValue(sourceId, out var p) ? p : 0;
}
