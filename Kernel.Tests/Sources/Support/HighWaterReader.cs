using System.IO.Pipelines;

namespace Kernel.Tests.Sources.Support;

/// <summary>Wraps a pipe reader and records the largest buffer it ever handed out.</summary>
public sealed class HighWaterReader : PipeReader
{
    private readonly PipeReader _inner;

    public HighWaterReader(PipeReader inner) => _inner = inner;

    public long MaxBufferLength { get; private set; }

    public override bool TryRead(out ReadResult result)
    {
        var read = _inner.TryRead(out result);
        if (read) MaxBufferLength = Math.Max(MaxBufferLength, result.Buffer.Length);
        return read;
    }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await _inner.ReadAsync(cancellationToken);
        MaxBufferLength = Math.Max(MaxBufferLength, result.Buffer.Length);
        return result;
    }

    public override void AdvanceTo(SequencePosition consumed) => _inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);
}
