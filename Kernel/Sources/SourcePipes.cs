using System.IO.Pipelines;

namespace Kernel.Sources;

/// <summary>What every source sets up the same way: the pipe reader over its stream and the dead-letter file.</summary>
internal static class SourcePipes
{
    /// <summary>
    /// A reader that pulls <see cref="SourceOptions.ReadBufferSize"/> bytes per read into reused
    /// blocks of <paramref name="pool"/> and closes the stream when completed (unless <paramref name="leaveOpen"/>).
    /// The caller disposes the pool once the reader is completed.
    /// </summary>
    public static PipeReader CreateReader(Stream stream, SourceOptions options, bool leaveOpen, SegmentPool pool) =>
        PipeReader.Create(stream, new StreamPipeReaderOptions(
            pool: pool,
            bufferSize: options.ReadBufferSize,
            minimumReadSize: Math.Min(1024, options.ReadBufferSize),
            leaveOpen: leaveOpen));

    /// <summary>The dead-letter writer the policy needs, or null.</summary>
    public static DeadLetterWriter? CreateDeadLetter(SourceOptions options) =>
        options.BadRecordPolicy == BadRecordPolicy.DeadLetter ? new DeadLetterWriter(options.DeadLetterPath!) : null;
}
