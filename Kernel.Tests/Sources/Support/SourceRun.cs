using System.IO.Pipelines;
using Kernel.Sources;

namespace Kernel.Tests.Sources.Support;

/// <summary>Runs the shared read loop over a pipe reader, the way every source does, with a timeout guard.</summary>
public static class SourceRun
{
    /// <summary>A hang detector, not a speed check: far above any healthy run on a starved 2-core machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public sealed record Result<T>(CollectingTarget<T> Target, SourceProgress Progress, long Position)
    {
        public void Deconstruct(out CollectingTarget<T> target, out SourceProgress progress)
        {
            target = Target;
            progress = Progress;
        }
    }

    public static async Task<Result<T>> RunAsync<T, TParser>(
        PipeReader reader, SourceOptions options, TParser parser = default, string name = "test")
        where TParser : struct, IRecordParser<T>
    {
        var progress = new SourceProgress(name);
        var target = new CollectingTarget<T>();
        using var deadLetter = options.BadRecordPolicy == BadRecordPolicy.DeadLetter ? new DeadLetterWriter(options.DeadLetterPath!) : null;
        var loop = new RecordReadLoop<T, TParser>(name, options, parser, progress, deadLetter, 0, 1, options.HasHeader);
        await loop.RunAsync(reader, target, CancellationToken.None).WaitAsync(Timeout);
        return new Result<T>(target, progress, loop.Position);
    }
}
